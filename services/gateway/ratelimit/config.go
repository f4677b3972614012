package ratelimit

import (
	"fmt"

	"github.com/dockeronline/platform/pkg/config"
)

// LoadOptions reads the limiter's settings:
//
//	API_RATE_PER_SECOND  sustained API calls a second per user (default 20; 0 turns the limit off)
//	API_RATE_BURST       calls a user may make at once after a pause (default 60)
//	API_RATE_MAX_USERS   buckets kept in memory at most (default 100000)
func LoadOptions(e *config.Env) (Options, error) {
	o := Options{
		Rate:     e.Float("API_RATE_PER_SECOND", DefaultRate),
		Burst:    e.Int("API_RATE_BURST", DefaultBurst),
		MaxUsers: e.Int("API_RATE_MAX_USERS", DefaultMaxUsers),
	}
	if err := e.Err(); err != nil {
		return o, err
	}
	switch {
	case o.Rate < 0:
		return o, fmt.Errorf("config: API_RATE_PER_SECOND=%g must be 0 (off) or more", o.Rate)
	case o.Burst < 1:
		return o, fmt.Errorf("config: API_RATE_BURST=%d must be at least 1", o.Burst)
	case o.MaxUsers < 1:
		return o, fmt.Errorf("config: API_RATE_MAX_USERS=%d must be at least 1", o.MaxUsers)
	}
	return o, nil
}
