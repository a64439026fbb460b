package workloads

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkRead1GB generates a 1 GB machine_usage file (Alibaba's layout: 1,000 machines, a row
// per machine every 10 s, rows interleaved by time) into b.TempDir(), then streams it: Inspect
// summarises all 1,000 series, Read keeps 10 of them. It reports the throughput (MB/s) and the
// peak heap in use while reading (sampled every 5 ms), which stays bounded by the series kept,
// not by the file. Run it with
//
//	go test ./workloads -run '^$' -bench Read1GB -benchtime 1x
func BenchmarkRead1GB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes a 1 GB file")
	}
	path := filepath.Join(b.TempDir(), "machine_usage.csv")
	size, err := writeMachineUsage(path, 1_000_000_000, 1000)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		run  func() (int, error)
	}{
		{"inspect=all", func() (int, error) {
			f, err := os.Open(path)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			rep, err := Inspect(f, path, Options{Format: FormatAlibabaMachine})
			if err != nil {
				return 0, err
			}
			return len(rep.Series), nil
		}},
		{"read=10series", func() (int, error) {
			var ids []string
			for m := 0; m < 10; m++ {
				ids = append(ids, "m_"+strconv.Itoa(m*100))
			}
			f, err := os.Open(path)
			if err != nil {
				return 0, err
			}
			defer f.Close()
			set, err := Read(f, path, Options{Format: FormatAlibabaMachine, Series: ids})
			if err != nil {
				return 0, err
			}
			return len(set.Traces), nil
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			runtime.GC()
			peak, stop := sampleHeap()
			for b.Loop() {
				n, err := bc.run()
				if err != nil {
					b.Fatal(err)
				}
				if n == 0 {
					b.Fatal("no series")
				}
			}
			b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
			_ = peak
		})
	}
}

// sampleHeap samples HeapInuse every 5 ms until stop is called; stop returns the largest.
func sampleHeap() (*uint64, func() uint64) {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return &peak, func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// writeMachineUsage writes at least size bytes of machine_usage rows for machines machines and
// returns the size written.
func writeMachineUsage(path string, size int64, machines int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	var line []byte
	for t := int64(0); n < size; t += 10 {
		for m := 0; m < machines && n < size; m++ {
			line = line[:0]
			line = append(line, "m_"...)
			line = strconv.AppendInt(line, int64(m), 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, t, 10)
			line = append(line, ',')
			line = strconv.AppendInt(line, (t/10+int64(m))%100, 10) // cpu_util_percent
			line = append(line, ",92,,,43.04,33.08,5\n"...)
			k, err := w.Write(line)
			if err != nil {
				f.Close()
				return 0, err
			}
			n += int64(k)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}
