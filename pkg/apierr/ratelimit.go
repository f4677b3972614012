package apierr

import "net/http"

// CodeRateLimited: the caller made more calls than their share allows.
// HTTP transports answer 429 and say when to come back (Retry-After).
const CodeRateLimited Code = "rate_limited"

// The status table lives in apierr.go; this code joins it from here so the
// rate limit's additions stay in one file.
func init() { statusOf[CodeRateLimited] = http.StatusTooManyRequests }

// RateLimited is a refusal for calling too often.
func RateLimited(format string, args ...any) *Error { return New(CodeRateLimited, format, args...) }
