package audit

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// errorPeek bounds how much of an error body is kept to read its code.
const errorPeek = 4 << 10

// recorder notes the status and the start of an error body while passing
// everything through. Unwrap lets http.ResponseController reach the
// original writer (flushing streamed progress keeps working).
type recorder struct {
	http.ResponseWriter
	code int
	body bytes.Buffer
}

func newRecorder(w http.ResponseWriter) *recorder { return &recorder{ResponseWriter: w} }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	if r.code >= 400 && r.body.Len() < errorPeek {
		r.body.Write(p[:min(len(p), errorPeek-r.body.Len())])
	}
	return r.ResponseWriter.Write(p)
}

// Flush supports streamed responses.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap is for http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// errorCode is the platform error code of the body, if it is one.
func (r *recorder) errorCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(r.body.Bytes(), &e) == nil {
		return e.Error.Code
	}
	return ""
}
