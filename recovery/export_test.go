package recovery

import "context"

// WithHooks sets functions called with the keys of each batch before they
// are read and after they are read, before anything is written: tests use
// them to change Redis at exactly those moments.
func WithHooks(beforeRead, afterRead func(ctx context.Context, keys []string)) Option {
	return func(o *options) { o.beforeRead, o.afterRead = beforeRead, afterRead }
}
