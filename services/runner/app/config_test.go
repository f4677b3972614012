package app_test

import (
	"testing"

	"github.com/dockeronline/platform/pkg/config"
	"github.com/dockeronline/platform/services/runner/app"
)

// TestRuntimeSetting: RUNNER_RUNTIME is the default runtime of users'
// containers (runc unless set) and of their quota view; anything but runc
// or runsc stops the runner at start rather than at the first create.
func TestRuntimeSetting(t *testing.T) {
	for _, tc := range []struct {
		env     map[string]string
		want    string
		wantErr bool
	}{
		{env: map[string]string{}, want: "runc"},
		{env: map[string]string{"RUNNER_RUNTIME": "runsc"}, want: "runsc"},
		{env: map[string]string{"RUNNER_RUNTIME": "runc"}, want: "runc"},
		{env: map[string]string{"RUNNER_RUNTIME": "nvidia"}, wantErr: true},
		{env: map[string]string{"RUNNER_RUNTIME": "/usr/bin/runsc"}, wantErr: true},
	} {
		cfg, err := app.LoadConfig(config.FromMap(tc.env))
		if tc.wantErr {
			if err == nil {
				t.Errorf("%v: accepted", tc.env)
			}
			continue
		}
		if err != nil || cfg.Limits.Runtime != tc.want || cfg.Quota.Runtime != tc.want {
			t.Errorf("%v: runtime %q / quota %q, %v; want %q", tc.env, cfg.Limits.Runtime, cfg.Quota.Runtime, err, tc.want)
		}
	}
}
