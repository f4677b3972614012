// Package httpx holds the gateway's HTTP conventions: JSON responses, the
// error body {"error":{code,message,rule,docker}}, and strict request
// decoding that names an unknown field instead of ignoring it.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/dockeronline/platform/pkg/apierr"
)

// MaxBody bounds JSON request bodies.
const MaxBody = 1 << 20

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError writes err as the platform's error body with its status.
func WriteError(w http.ResponseWriter, err error) {
	e := apierr.From(err)
	WriteJSON(w, e.HTTPStatus(), map[string]*apierr.Error{"error": e})
}

// DecodeStrict decodes a JSON body into v. Unknown fields, trailing data,
// a wrong content type or an oversized body (413, see LimitBody) are errors
// that say what is wrong.
func DecodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apierr.Invalid("Content-Type must be application/json, not %q", ct)
	}
	LimitBody(w, r, MaxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return apierr.Invalid("request body must hold a single JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if limit, big := IsTooLarge(err); big {
		return TooLarge(limit)
	}
	switch {
	case errors.Is(err, io.EOF):
		return apierr.Invalid("request body is empty; a JSON object is expected")
	case errors.As(err, &syn):
		return apierr.Invalid("malformed JSON at byte %d", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apierr.Invalid("malformed JSON: the body ends early")
	case errors.As(err, &typ):
		return apierr.Invalid("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return apierr.Invalid("unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return apierr.Invalid("bad JSON: %v", fmt.Sprint(err))
	}
}
