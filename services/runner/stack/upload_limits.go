package stack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"

	"github.com/dockeronline/platform/pkg/apierr"
)

// maxUploadEntries bounds the files, folders and links of a stack's
// upload. build.Unpack bounds the bytes of the files, but an empty file
// or a folder costs those nothing and a header in memory (~900 bytes once
// unpacked): a 1.4 MB gzip of 300,000 empty files unpacked to 268 MB.
const maxUploadEntries = 100_000

// countEntries refuses an upload of more than limit entries, streaming
// it (nothing is kept). What is not a tar, or whose headers claim more
// than maxUnpacked bytes, is left to build.Unpack to refuse in its words;
// the count stops there, so decompressing costs at most that much.
func countEntries(raw []byte, limit int, maxUnpacked int64) error {
	var r io.Reader = bytes.NewReader(raw)
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	var size int64
	for n := 0; ; n++ {
		h, err := tr.Next()
		if err != nil {
			return nil
		}
		if n >= limit {
			return apierr.Invalid("the upload holds more than %d files, folders and links: upload only what the stack builds from", limit)
		}
		if size += max(h.Size, 0); size > maxUnpacked {
			return nil
		}
	}
}
