// Package web is Switchboard's HTTP server: it serves /healthz itself and
// lets the rest of the product mount its handlers (admin and agent
// websockets, web pages, /metrics) with Handle.
//
// It does not know what it serves: every page and websocket lives in its own
// package and is mounted by cmd/switchboard.
//
// Concurrency: Handle and RegisterOnShutdown may be called before or while Run
// serves; SetDraining is safe from any goroutine. Run blocks until the
// listener is closed and in-flight requests have finished (or the shutdown
// deadline passes); Shutdown may be called from any goroutine and is
// idempotent.
package web
