package collect

// SizeObserver is an Observer that also follows the bundle's size while it
// is written, for progress displays that show bytes as they grow. Run checks
// for it with a type assertion, so plain Observers need not implement it.
type SizeObserver interface {
	Observer
	// BundleOpened is called once per run, when the bundle file is open, with
	// a function returning the compressed bytes written so far. The function
	// is safe to call from any goroutine, also after Run returns.
	BundleOpened(size func() int64)
}
