//go:build tools

// This file only pins a module version. go-kit's go.mod requires a 2021
// google.golang.org/genproto that still holds googleapis/rpc, which later
// moved to its own module; without a newer genproto in the build list, `go
// mod tidy` fails with an "ambiguous import". Importing one package of the
// newer genproto keeps that requirement through tidy.
package pkg

import _ "google.golang.org/genproto/protobuf/field_mask"
