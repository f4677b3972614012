package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// VerifyAddresses marks every verifiable address (the e-mail) of identity
// id verified, through Kratos' admin API, as if its owner had entered the
// code mailed to them. Tests use it where a verified address matters (the
// bootstrap admin); it returns an error instead of failing, for goroutines.
func (k *Kratos) VerifyAddresses(id string) error {
	c := &http.Client{Timeout: 30 * time.Second}
	res, err := c.Get(k.AdminURL + "/admin/identities/" + id)
	if err != nil {
		return err
	}
	var ident struct {
		Addresses []json.RawMessage `json:"verifiable_addresses"`
	}
	err = json.NewDecoder(res.Body).Decode(&ident)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		return fmt.Errorf("get identity %s: %d %v", id, res.StatusCode, err)
	}
	if len(ident.Addresses) == 0 {
		return fmt.Errorf("identity %s has no verifiable address", id)
	}
	var patch []map[string]any
	for i := range ident.Addresses {
		p := fmt.Sprintf("/verifiable_addresses/%d/", i)
		patch = append(patch,
			map[string]any{"op": "replace", "path": p + "verified", "value": true},
			map[string]any{"op": "replace", "path": p + "status", "value": "completed"})
	}
	body, _ := json.Marshal(patch)
	req, _ := http.NewRequest(http.MethodPatch, k.AdminURL+"/admin/identities/"+id, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err = c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK || !strings.Contains(string(out), `"verified":true`) {
		return fmt.Errorf("verify identity %s: %d %s", id, res.StatusCode, out)
	}
	return nil
}
