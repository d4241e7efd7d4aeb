package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gocachestore "github.com/eko/gocache/lib/v4/store"

	"github.com/secureredis/secureredis"
	"github.com/secureredis/secureredis/store"
)

// openAlias loads the config and opens the named alias (the secure one when
// name is empty).
func openAlias(ctx context.Context, e *env, name string) (*secureredis.Caches, *store.EncryptingStore, string, error) {
	if e.config == "" {
		return nil, nil, "", fmt.Errorf("%w: -c FILE is required", errUsage)
	}
	cfg, err := secureredis.LoadConfig(e.config)
	if err != nil {
		return nil, nil, "", err
	}
	if name == "" {
		name = cfg.SecureCache
		if name == "" {
			name = secureredis.DefaultSecureCache
		}
	}
	caches, err := secureredis.Open(ctx, cfg)
	if err != nil {
		return nil, nil, "", err
	}
	s, err := caches.Store(name)
	if err != nil {
		_ = caches.Close()
		return nil, nil, "", err
	}
	return caches, s, name, nil
}

func set(ctx context.Context, e *env, args []string) error {
	fs := flags("set")
	alias := fs.String("alias", "", "alias name (default: the secure alias)")
	ttl := fs.Duration("ttl", -1, "time to live (default: the alias's timeout; 0 = never expire)")
	asJSON := fs.Bool("json", false, "parse VALUE as JSON and store the structured value")
	if err := parse(fs, args, 2); err != nil {
		return err
	}
	key, raw := fs.Arg(0), fs.Arg(1)
	var value any = raw
	if *asJSON {
		v, err := parseJSON(strings.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%w: VALUE is not JSON: %v", errUsage, err)
		}
		value = v
	}
	caches, s, _, err := openAlias(ctx, e, *alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	if *asJSON {
		if err := keepsExactly(s, key, value); err != nil {
			return err
		}
	}
	var opts []gocachestore.Option
	if *ttl >= 0 {
		opts = append(opts, gocachestore.WithExpiration(*ttl))
	}
	return s.Set(ctx, key, value, opts...)
}

func get(ctx context.Context, e *env, args []string) error {
	fs := flags("get")
	alias := fs.String("alias", "", "alias name (default: the secure alias)")
	asJSON := fs.Bool("json", false, "print every value as JSON, strings included")
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	caches, s, name, err := openAlias(ctx, e, *alias)
	if err != nil {
		return err
	}
	defer caches.Close()
	v, err := s.Get(ctx, fs.Arg(0))
	if errors.Is(err, gocachestore.NotFound{}) {
		return fmt.Errorf("%s not found in alias %s", display(fs.Arg(0)), display(name))
	}
	if err != nil {
		return fmt.Errorf("get %s from alias %s: %w", display(fs.Arg(0)), display(name), err)
	}
	if !*asJSON {
		switch x := v.(type) {
		case string:
			_, err = fmt.Fprintln(e.stdout, displayValue(e.stdout, x))
			return err
		case []byte:
			_, err = fmt.Fprintln(e.stdout, displayValue(e.stdout, string(x)))
			return err
		}
	}
	b, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("value cannot be shown as JSON: %w", err)
	}
	_, err = fmt.Fprintln(e.stdout, string(b))
	return err
}
