// Package wavrec records a leg's audio to a WAV file (8 kHz mono 16-bit
// PCM) without ever blocking the media path: WritePacket copies the G.711
// payload into a preallocated slot of a bounded queue and returns; a writer
// goroutine, owned by the Recorder, decodes and writes. When the queue is
// full the packet is dropped and counted, never waited for. The recording
// stops taking audio at Config.Max; Close drains the queue, fixes the WAV
// header and closes the file, and waits for the writer goroutine.
//
// Voicemail (PROTOCOL §11) records a caller by making a Recorder the sink
// of the caller's leg.
package wavrec

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/media"
)

// Config configures a Recorder.
type Config struct {
	// Max is the longest recording; audio after it is ignored and Full is
	// closed. 0 means 120 s.
	Max time.Duration
	// Slots is how many packets the queue holds; 0 means 64 (1.28 s).
	Slots int
}

// maxPayload bounds one packet's payload (more is truncated).
const maxPayload = 512

type slot struct {
	n     int
	codec media.Codec
	buf   [maxPayload]byte
}

// Recorder is a media.PacketWriter that records to a WAV file.
type Recorder struct {
	f       *os.File
	queue   chan *slot
	free    chan *slot
	maxSamp int64
	full    chan struct{}

	mu     sync.Mutex // guards closed and queue sends against Close
	closed bool
	once   sync.Once
	wg     sync.WaitGroup
	err    error // the writer's first error; read after wg.Wait

	taken   atomic.Int64 // samples accepted
	dropped atomic.Uint64
}

// Create creates path (it must not exist) and starts recording into it.
func Create(path string, cfg Config) (*Recorder, error) {
	if cfg.Max <= 0 {
		cfg.Max = 120 * time.Second
	}
	if cfg.Slots <= 0 {
		cfg.Slots = 64
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wavrec: %w", err)
	}
	if _, err := f.Write(media.WAVHeader(media.SampleRate, 0)); err != nil {
		f.Close()
		return nil, fmt.Errorf("wavrec: %w", err)
	}
	r := &Recorder{
		f: f, queue: make(chan *slot, cfg.Slots), free: make(chan *slot, cfg.Slots),
		maxSamp: int64(cfg.Max / time.Second * media.SampleRate), full: make(chan struct{}),
	}
	for range cfg.Slots {
		r.free <- new(slot)
	}
	r.wg.Add(1)
	go r.write()
	return r, nil
}

// WritePacket queues one packet's audio; it never blocks and never
// allocates.
func (r *Recorder) WritePacket(p *media.Packet) error {
	n := int64(len(p.Payload))
	if n == 0 {
		return nil
	}
	if r.taken.Load()+n > r.maxSamp {
		r.markFull()
		return nil
	}
	var s *slot
	select {
	case s = <-r.free:
	default:
		r.dropped.Add(1)
		return nil
	}
	s.n = copy(s.buf[:], p.Payload)
	s.codec = p.Codec
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.free <- s
		return nil
	}
	r.taken.Add(int64(s.n))
	r.queue <- s // never blocks: there are as many slots as queue places
	return nil
}

func (r *Recorder) markFull() {
	r.once.Do(func() { close(r.full) })
}

// Full is closed when the recording reached Config.Max.
func (r *Recorder) Full() <-chan struct{} { return r.full }

// Seconds is the audio accepted so far.
func (r *Recorder) Seconds() float64 { return float64(r.taken.Load()) / media.SampleRate }

// Queued is how many packets wait for the writer.
func (r *Recorder) Queued() int { return len(r.queue) }

// Dropped is how many packets a full queue dropped.
func (r *Recorder) Dropped() uint64 { return r.dropped.Load() }

// write is the writer goroutine: it decodes queued packets to the file
// until Close closes the queue.
func (r *Recorder) write() {
	defer r.wg.Done()
	w := bufio.NewWriterSize(r.f, 16<<10)
	var pcm [maxPayload]int16
	var out [2 * maxPayload]byte
	for s := range r.queue {
		d := media.Decode(s.codec, pcm[:], s.buf[:s.n])
		for i, v := range d {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
		}
		if r.err == nil {
			if _, err := w.Write(out[:2*len(d)]); err != nil {
				r.err = err
			}
		}
		r.free <- s
	}
	if err := w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
}

// Close stops recording, drains the queue, writes the header's sizes,
// syncs and closes the file, and returns the recorded length. Idempotent
// (later calls return the same length and nil).
func (r *Recorder) Close() (time.Duration, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return r.length(), nil
	}
	r.closed = true
	close(r.queue)
	r.mu.Unlock()
	r.wg.Wait()
	err := r.err
	data := uint32(2 * r.taken.Load())
	if err == nil {
		_, err = r.f.WriteAt(media.WAVHeader(media.SampleRate, data), 0) // sizes patched on Close
	}
	if err == nil {
		err = r.f.Sync()
	}
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return r.length(), fmt.Errorf("wavrec: %w", err)
	}
	return r.length(), nil
}

func (r *Recorder) length() time.Duration {
	return time.Duration(r.taken.Load()) * time.Second / media.SampleRate
}
