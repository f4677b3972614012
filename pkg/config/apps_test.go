package config

import "testing"

func TestLoadApps(t *testing.T) {
	tests := []struct {
		env     map[string]string
		want    Apps
		wantErr bool
	}{
		{map[string]string{}, Apps{"apps.localhost", "http://{host}:8000/"}, false},
		{map[string]string{"APPS_PORT": "80"}, Apps{"apps.localhost", "http://{host}/"}, false},
		{map[string]string{"APPS_DOMAIN": ".Apps.Example.", "APPS_URL_TEMPLATE": "https://{host}/"}, Apps{"apps.example", "https://{host}/"}, false},
		{map[string]string{"APPS_URL_TEMPLATE": "https://apps.example/"}, Apps{}, true},
		{map[string]string{"APPS_URL_TEMPLATE": "ftp://{host}/"}, Apps{}, true},
		{map[string]string{"APPS_PORT": "0"}, Apps{}, true},
		{map[string]string{"APPS_PORT": "x"}, Apps{}, true},
		{map[string]string{"APPS_DOMAIN": "."}, Apps{}, true},
	}
	for _, tt := range tests {
		got, err := LoadApps(FromMap(tt.env))
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("%v: got %+v, %v; want %+v (error %v)", tt.env, got, err, tt.want, tt.wantErr)
		}
	}
	a := Apps{"apps.example", "https://{host}/"}
	if got := a.URL("web--alice"); got != "https://web--alice.apps.example/" {
		t.Errorf("URL = %q", got)
	}
}
