// Package reliability has no API: its tests run the stores and the recovery
// package on real Redis topologies and on bad days. A three-master Redis
// Cluster with replicas (batches, scoped Clear, Migrate, Rotate and Audit on
// every master, a master killed mid-migration), a Sentinel setup (the store
// follows a failover; a migration interrupted by one completes on re-run),
// redis-server killed and restarted mid-migration, mid-rotation and mid-Clear,
// a stalled server (deadlines honoured, no goroutine leak), and 64 goroutines
// of mixed load under the race detector.
//
// The tests start redis-server processes with internal/redistest (on free
// loopback ports, never 6379, no persistence unless a test asks for an
// append-only file) and need redis-server and redis-cli on PATH.
package reliability
