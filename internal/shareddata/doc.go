// Package shareddata locates the project's shared real-data folder (../shared/data from the
// repository root) for tests and benchmarks, which skip when it is absent so that a fresh
// clone still passes its tests.
//
// Reading guide: shareddata.go holds it all; tests call Path, benchmarks and tools may
// call Root.
package shareddata
