package recovery

import "context"

// WithHooks sets functions called with the keys of each batch before they
// are read and after they are read, before anything is written: tests use
// them to change Redis at exactly those moments.
func WithHooks(beforeRead, afterRead func(ctx context.Context, keys []string)) Option {
	return func(o *options) error { o.beforeRead, o.afterRead = beforeRead, afterRead; return nil }
}

// WithClearHook sets a function Migrate calls with the old keys of each batch
// after comparing their existing secure copies and before replacing or
// deleting anything (WithClearOld).
func WithClearHook(fn func(ctx context.Context, keys []string)) Option {
	return func(o *options) error { o.beforeClear = fn; return nil }
}

// DecodeFormat decodes raw as MigrateFrom does for format f.
func DecodeFormat(f Format, raw string) (any, error) { return f.decode(raw) }
