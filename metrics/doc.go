// Package metrics exposes Switchboard's state to Prometheus (client_golang
// lives only here). A Collector reads a consumer-supplied Source once per
// scrape — no counters are kept here, so nothing can drift from the truth:
// the orchestrator reports agents, calls, waiting tasks and reservations,
// the web layer its websocket connections, the media switch its counters.
//
// Metrics (all prefixed switchboard_):
//
//	agents{activity}                      gauge   logged-in agents by activity
//	calls{state}                          gauge   calls by state (ringing, active, held)
//	queue_waiting_tasks{queue}            gauge   calls waiting in each queue
//	reservations                          gauge   live offers to agents
//	ws_connections{kind}                  gauge   open websockets (admin, agent)
//	media_fastpath_packets_forwarded_total counter
//	media_frames_mixed_total              counter
//	media_frames_dropped_total            counter
//	media_late_packets_total              counter
//	media_counter_total{name}             counter any other media counter: concealed_frames,
//	                                              webrtc_dropped_<reason> (browser datagrams the
//	                                              WebRTC engine did not deliver: unknown_source,
//	                                              no_keys, rtp_header, srtp_auth, srtp_replay,
//	                                              srtp_other, not_audio, rtcp)
//	rtp_dropped_total{reason}             counter RTP datagrams trunk legs dropped (source, probation, malformed, unnegotiated)
//	call_mos, call_loss_percent, call_jitter_ms, call_rtt_ms {party}
//	                                      histograms, one observation per party of each ended call (CallQuality)
//
// Source.Snapshot is called from the scraping goroutine; it must be safe
// for concurrent use and should not block.
package metrics
