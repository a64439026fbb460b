package workloads

import (
	"bytes"
	"fmt"
	"math"
	"path"
	"strings"
	"time"
)

// The cluster-trace formats: Alibaba 2018, Google 2011 and 2019, Azure V1 and V2, Bitbrains.
// Column names and units follow each dataset's published schema (docs/traces.md cites them).

var alibabaMachineFields = []string{"machine_id", "time_stamp", "cpu_util_percent", "mem_util_percent", "mem_gps", "mkpi", "net_in", "net_out", "disk_io_percent"}

var _ = register(&Format{
	Name:   FormatAlibabaMachine,
	Title:  "Alibaba cluster-trace-v2018 machine_usage",
	Layout: "no header; comma-separated: " + strings.Join(alibabaMachineFields, ","),
	Time:   "time_stamp: seconds from the trace's start (0 to 691,200: 8 days)",
	Columns: []Column{
		col("cpu_util_percent", UnitPercent, ResourceCPU, "CPU use, % of the machine's CPUs (machine_meta cpu_num: 96 in this trace)").max(100),
		col("mem_util_percent", UnitPercent, ResourceMemory, "memory use, % of the machine's memory").max(100),
		col("mem_gps", UnitPercent, ResourceMemory, "memory bandwidth, normalized to 0-100; empty in most rows").max(100),
		col("mkpi", Unit("misses/kinstr"), ResourceOther, "cache misses per thousand instructions; empty in most rows"),
		col("net_in", UnitPercent, ResourceNetwork, "incoming network traffic, normalized to 0-100").max(100),
		col("net_out", UnitPercent, ResourceNetwork, "outgoing network traffic, normalized to 0-100").max(100),
		col("disk_io_percent", UnitPercent, ResourceDisk, "disk I/O, 0-100; the schema marks abnormal values as -1 or 101 (invalid rows here)").max(100),
	},
	DefaultColumn:   "cpu_util_percent",
	Keys:            []string{"machine_id"},
	DefaultSeriesBy: "machine_id",
	// Samples fall on a 10 s grid at irregular intervals: the median is about 60 s, and
	// intervals of a few minutes are common, so only longer silences count as gaps.
	Step:   60 * time.Second,
	MaxGap: 5 * time.Minute,
	open: func(f *Format, in *input, o *Options) (opened, error) {
		return openSimple(in, o, f, ",", alibabaMachineFields, "time_stamp", parseSeconds)
	},
})

var alibabaContainerFields = []string{"container_id", "machine_id", "time_stamp", "cpu_util_percent", "mem_util_percent", "cpi", "mem_gps", "mpki", "net_in", "net_out", "disk_io_percent"}

var _ = register(&Format{
	Name:   FormatAlibabaContainer,
	Title:  "Alibaba cluster-trace-v2018 container_usage",
	Layout: "no header; comma-separated: " + strings.Join(alibabaContainerFields, ","),
	Time:   "time_stamp: seconds from the trace's start",
	Columns: []Column{
		// The schema leaves the base of the percentage unsaid; analyses of the trace read it as
		// a percentage of the container's CPU request (container_meta cpu_request, 100 = 1 core).
		col("cpu_util_percent", UnitPercent, ResourceCPU, "CPU use, %; the schema does not say of what (usually read as of the container's cpu_request)"),
		col("mem_util_percent", UnitPercent, ResourceMemory, "memory use, %").max(100),
		col("cpi", Unit("cycles/instr"), ResourceOther, "cycles per instruction"),
		col("mem_gps", UnitPercent, ResourceMemory, "memory bandwidth, normalized to 0-100").max(100),
		col("mpki", Unit("misses/kinstr"), ResourceOther, "cache misses per thousand instructions"),
		col("net_in", UnitPercent, ResourceNetwork, "incoming network traffic, normalized to 0-100").max(100),
		col("net_out", UnitPercent, ResourceNetwork, "outgoing network traffic, normalized to 0-100").max(100),
		col("disk_io_percent", UnitPercent, ResourceDisk, "disk I/O, 0-100; abnormal values -1 and 101 are invalid rows").max(100),
	},
	DefaultColumn:   "cpu_util_percent",
	Keys:            []string{"container_id", "machine_id"},
	DefaultSeriesBy: "container_id",
	open: func(f *Format, in *input, o *Options) (opened, error) {
		return openSimple(in, o, f, ",", alibabaContainerFields, "time_stamp", parseSeconds)
	},
})

var google2011Fields = []string{"start_time", "end_time", "job_id", "task_index", "machine_id",
	"cpu_rate", "canonical_memory_usage", "assigned_memory_usage", "unmapped_page_cache", "total_page_cache",
	"maximum_memory_usage", "disk_io_time", "local_disk_space_usage", "maximum_cpu_rate", "maximum_disk_io_time",
	"cycles_per_instruction", "memory_accesses_per_instruction", "sample_portion", "aggregation_type", "sampled_cpu_usage"}

var _ = register(&Format{
	Name:   FormatGoogle2011,
	Title:  "Google cluster-data 2011 (clusterdata-2011-2) task_usage",
	Layout: "no header; comma-separated, 20 fields: " + strings.Join(google2011Fields, ","),
	Time:   "start_time: microseconds from 600 s before the trace's start (the window is [start_time, end_time), nominally 300 s)",
	Columns: []Column{
		col("cpu_rate", UnitNormalized, ResourceCPU, "mean CPU use over the window, core-seconds per second normalized to the largest machine"),
		col("canonical_memory_usage", UnitNormalized, ResourceMemory, "canonical memory use, normalized"),
		col("assigned_memory_usage", UnitNormalized, ResourceMemory, "assigned memory, normalized"),
		col("unmapped_page_cache", UnitNormalized, ResourceMemory, "unmapped page cache, normalized"),
		col("total_page_cache", UnitNormalized, ResourceMemory, "total page cache, normalized"),
		col("maximum_memory_usage", UnitNormalized, ResourceMemory, "maximum memory use, normalized"),
		col("disk_io_time", UnitNormalized, ResourceDisk, "mean disk I/O time, normalized"),
		col("local_disk_space_usage", UnitNormalized, ResourceDisk, "mean local disk space used, normalized"),
		col("maximum_cpu_rate", UnitNormalized, ResourceCPU, "maximum CPU rate in the window, normalized"),
		col("maximum_disk_io_time", UnitNormalized, ResourceDisk, "maximum disk I/O time, normalized"),
		col("cycles_per_instruction", Unit("cycles/instr"), ResourceOther, "CPI; often empty"),
		col("memory_accesses_per_instruction", Unit("accesses/instr"), ResourceOther, "MAI; often empty"),
		col("sample_portion", Unit("fraction"), ResourceOther, "portion of the window with samples"),
		col("sampled_cpu_usage", UnitNormalized, ResourceCPU, "CPU rate of one random 1 s sample in the window, normalized"),
	},
	DefaultColumn:   "cpu_rate",
	Keys:            []string{"job_id", "task_index", "machine_id"},
	DefaultSeriesBy: "job_id/task_index",
	Step:            300 * time.Second,
	open: func(f *Format, in *input, o *Options) (opened, error) {
		return openSimple(in, o, f, ",", google2011Fields, "start_time", parseMicros)
	},
})

var azureFields = []string{"timestamp", "vm_id", "min_cpu", "max_cpu", "avg_cpu"}

func azureFormat(name, title string) *Format {
	f := &Format{
		Name:   name,
		Title:  title,
		Layout: "no header; comma-separated: timestamp,vm_id,min_cpu,max_cpu,avg_cpu (the V1 and V2 files have the same layout)",
		Time:   "timestamp: seconds from the trace's start, every 300 s",
		Columns: []Column{
			col("avg_cpu", UnitPercent, ResourceCPU, "mean CPU use over the 5 minutes, % of the VM's cores").alias("avgcpu"),
			col("max_cpu", UnitPercent, ResourceCPU, "maximum CPU use in the 5 minutes, %").alias("maxcpu"),
			col("min_cpu", UnitPercent, ResourceCPU, "minimum CPU use in the 5 minutes, %").alias("mincpu"),
			col("avg_cpu_cores", UnitCores, ResourceCPU, "avg_cpu × the VM's core count / 100 (needs the vmtable)").derive(),
			col("max_cpu_cores", UnitCores, ResourceCPU, "max_cpu × the VM's core count / 100 (needs the vmtable)").derive(),
			col("min_cpu_cores", UnitCores, ResourceCPU, "min_cpu × the VM's core count / 100 (needs the vmtable)").derive(),
		},
		DefaultColumn:   "avg_cpu",
		Keys:            []string{"vm_id"},
		DefaultSeriesBy: "vm_id",
		Step:            300 * time.Second,
	}
	f.open = func(f *Format, in *input, o *Options) (opened, error) {
		p, c, err := openPositional(in, o, f, ",", azureFields, "timestamp", parseSeconds)
		if err != nil {
			return opened{}, err
		}
		if c.derived {
			if o.CoreCounts == nil {
				return opened{}, fmt.Errorf("%s: column %s needs the VMs' core counts: give the vmtable file", in.name, c.Name)
			}
			src := indexOf(azureFields, strings.TrimSuffix(c.Name, "_cores"))
			pct := &Column{Name: azureFields[src], Max: 0}
			counts := o.CoreCounts
			p.value = func(p *tableParser, r *row) {
				v, bad := parseValue(p.fields[src], pct)
				if bad != "" {
					r.bad = bad
					return
				}
				cores, ok := counts[string(r.key)]
				switch {
				case !ok:
					r.bad = fmt.Sprintf("VM %s is not in the vmtable, want every VM read to have a core count", quote(string(r.key)))
					return
				case math.IsNaN(cores):
					r.bad = fmt.Sprintf("VM %s has the core-count bucket >24, which gives no exact count; read %s with a stated capacity instead", quote(string(r.key)), azureFields[src])
					return
				}
				r.v = v / 100 * cores
			}
		}
		return opened{p: p, col: *c}, nil
	}
	return register(f)
}

var (
	_ = azureFormat(FormatAzureV1, "Azure Public Dataset V1 (2017) vm_cpu_readings")
	_ = azureFormat(FormatAzureV2, "Azure Public Dataset V2 (2019) vm_cpu_readings")
)

// bitbrainsHeader is the GWA-T-12 header, column by column, with the names ksim gives them.
var bitbrainsColumns = []struct{ name, header string }{
	{"timestamp", "Timestamp [ms]"},
	{"cpu_cores", "CPU cores"},
	{"cpu_capacity_mhz", "CPU capacity provisioned [MHZ]"},
	{"cpu_usage_mhz", "CPU usage [MHZ]"},
	{"cpu_usage_percent", "CPU usage [%]"},
	{"memory_capacity_kb", "Memory capacity provisioned [KB]"},
	{"memory_usage_kb", "Memory usage [KB]"},
	{"disk_read_kbps", "Disk read throughput [KB/s]"},
	{"disk_write_kbps", "Disk write throughput [KB/s]"},
	{"network_rx_kbps", "Network received throughput [KB/s]"},
	{"network_tx_kbps", "Network transmitted throughput [KB/s]"},
}

var _ = register(&Format{
	Name:  FormatBitbrains,
	Title: "Bitbrains GWA-T-12 per-VM file (fastStorage, Rnd)",
	Layout: "a header row, then one row per sample; fields separated by \";\\t\" (any spaces after the ';' are ignored): " +
		"Timestamp [ms];CPU cores;CPU capacity provisioned [MHZ];CPU usage [MHZ];CPU usage [%];Memory capacity provisioned [KB];" +
		"Memory usage [KB];Disk read throughput [KB/s];Disk write throughput [KB/s];Network received throughput [KB/s];Network transmitted throughput [KB/s]",
	Time: "Timestamp: Unix seconds, although the header says [ms]; about every 300 s with ±1 s jitter",
	Columns: []Column{
		col("cpu_usage_mhz", UnitMHz, ResourceCPU, "CPU use in MHz").header("CPU usage [MHZ]"),
		col("cpu_usage_cores", UnitCores, ResourceCPU, "CPU use in cores: CPU usage [MHZ] / CPU capacity provisioned [MHZ] × CPU cores").derive(),
		col("cpu_usage_percent", UnitPercent, ResourceCPU, "CPU use, % of the provisioned capacity (can exceed 100)").header("CPU usage [%]"),
		col("cpu_cores", UnitCores, ResourceOther, "cores provisioned").header("CPU cores"),
		col("cpu_capacity_mhz", UnitMHz, ResourceOther, "CPU capacity provisioned, MHz").header("CPU capacity provisioned [MHZ]"),
		col("memory_capacity_kb", Unit("KB"), ResourceMemory, "memory provisioned, KB").header("Memory capacity provisioned [KB]"),
		col("memory_usage_kb", Unit("KB"), ResourceMemory, "memory use, KB").header("Memory usage [KB]"),
		col("disk_read_kbps", Unit("KB/s"), ResourceDisk, "disk reads, KB/s").header("Disk read throughput [KB/s]"),
		col("disk_write_kbps", Unit("KB/s"), ResourceDisk, "disk writes, KB/s").header("Disk write throughput [KB/s]"),
		col("network_rx_kbps", Unit("KB/s"), ResourceNetwork, "network received, KB/s").header("Network received throughput [KB/s]"),
		col("network_tx_kbps", Unit("KB/s"), ResourceNetwork, "network transmitted, KB/s").header("Network transmitted throughput [KB/s]"),
	},
	DefaultColumn: "cpu_usage_mhz",
	Step:          300 * time.Second,
	open:          openBitbrains,
})

func openBitbrains(f *Format, in *input, o *Options) (opened, error) {
	c, err := pickColumn(f, o, in.name)
	if err != nil {
		return opened{}, err
	}
	header, line, err := readHeader(in, []byte(";"), false)
	if err != nil {
		return opened{}, err
	}
	if len(header) != len(bitbrainsColumns) {
		return opened{}, in.errorf(line, "header has %s, want the %d of a GWA-T-12 file (%s)", plural(len(header), "field"), len(bitbrainsColumns), f.Layout)
	}
	for i, h := range header {
		if !strings.EqualFold(h, bitbrainsColumns[i].header) {
			return opened{}, in.errorf(line, "header field %d is %s, want %q (the GWA-T-12 layout)", i+1, quote(h), bitbrainsColumns[i].header)
		}
	}
	names := make([]string, len(bitbrainsColumns))
	for i, bc := range bitbrainsColumns {
		names[i] = bc.name
	}
	p := &tableParser{
		in: in, sep: []byte(";"), trim: true, nfields: len(names), layout: "bitbrains: " + strings.Join(names, ";"),
		timeIdx: 0, timeName: "Timestamp", parseTime: parseSeconds,
	}
	if c.derived {
		usage, capacity, cores := indexOf(names, "cpu_usage_mhz"), indexOf(names, "cpu_capacity_mhz"), indexOf(names, "cpu_cores")
		mhz := &Column{Name: "cpu_usage_mhz"}
		p.value = func(p *tableParser, r *row) {
			u, bad := parseValue(p.fields[usage], mhz)
			if bad != "" {
				r.bad = bad
				return
			}
			capMHz, ok1 := parseDecimal(p.fields[capacity])
			n, ok2 := parseDecimal(p.fields[cores])
			if !ok1 || !ok2 || !(capMHz > 0) || !(n > 0) {
				r.bad = fmt.Sprintf("CPU capacity %s MHz and CPU cores %s, want both > 0 to compute cores", quote(string(p.fields[capacity])), quote(string(p.fields[cores])))
				return
			}
			r.v = u / capMHz * n
		}
	} else {
		p.value = plainValue(indexOf(names, c.Name), c)
	}
	// One VM per file: the series is named after the file (Rnd files are named by VM number).
	base := path.Base(strings.ReplaceAll(in.name, "\\", "/"))
	return opened{p: p, col: *c, single: strings.TrimSuffix(base, path.Ext(base))}, nil
}

// ---- Google 2019 ----

var google2019Keys = []string{"collection_id", "instance_index", "machine_id", "alloc_collection_id", "alloc_instance_index"}

var _ = register(&Format{
	Name:  FormatGoogle2019,
	Title: "Google cluster-data 2019 (Borg v3) instance_usage, CSV form",
	Layout: "a header row naming the columns (a BigQuery export: nested fields as average_usage.cpus, average_usage_cpus, " +
		"or one average_usage column holding {'cpus': …, 'memory': …}); also the derived per-cell file whose header is " +
		"avg_cpu,avg_mem,avg_assigned_mem,avg_cycles_per_instruction and whose rows are consecutive 300 s intervals",
	Time: "start_time: microseconds from 600 s before the trace's start; the derived file has no time column (row i is at i × interval, default 300 s)",
	Columns: []Column{
		col("average_usage_cpus", UnitNormalized, ResourceCPU, "mean CPU use over the window, normalized to the largest machine"),
		col("maximum_usage_cpus", UnitNormalized, ResourceCPU, "maximum CPU use in the window, normalized"),
		col("random_sample_usage_cpus", UnitNormalized, ResourceCPU, "CPU use of one random 1 s sample, normalized"),
		col("average_usage_memory", UnitNormalized, ResourceMemory, "mean memory use, normalized"),
		col("maximum_usage_memory", UnitNormalized, ResourceMemory, "maximum memory use, normalized"),
		col("assigned_memory", UnitNormalized, ResourceMemory, "memory assigned, normalized"),
		col("page_cache_memory", UnitNormalized, ResourceMemory, "page cache, normalized"),
		col("cycles_per_instruction", Unit("cycles/instr"), ResourceOther, "CPI"),
		col("memory_accesses_per_instruction", Unit("accesses/instr"), ResourceOther, "MAI"),
		col("sample_rate", Unit("samples/s"), ResourceOther, "CPU usage samples per second"),
		col("avg_cpu", UnitNormalized, ResourceCPU, "derived file: mean CPU use over the cell, normalized"),
		col("avg_mem", UnitNormalized, ResourceMemory, "derived file: mean memory use, normalized"),
		col("avg_assigned_mem", UnitNormalized, ResourceMemory, "derived file: mean memory assigned, normalized"),
		col("avg_cycles_per_instruction", Unit("cycles/instr"), ResourceOther, "derived file: mean CPI"),
	},
	DefaultColumn:   "average_usage_cpus",
	Keys:            google2019Keys,
	DefaultSeriesBy: "collection_id/instance_index",
	Step:            300 * time.Second,
	open:            openGoogle2019,
})

var google2019Derived = []string{"avg_cpu", "avg_mem", "avg_assigned_mem", "avg_cycles_per_instruction"}

func openGoogle2019(f *Format, in *input, o *Options) (opened, error) {
	header, line, err := readHeader(in, []byte(","), true)
	if err != nil {
		return opened{}, err
	}
	p := &tableParser{in: in, quoted: true, trim: true, nfields: len(header), layout: "the header's columns"}
	if indexOf(header, "start_time") < 0 {
		// The derived file: one series, a row per interval.
		if indexOf(header, "avg_cpu") < 0 {
			return opened{}, in.errorf(line, "header has neither start_time (instance_usage) nor avg_cpu (the derived per-cell file); it has %s", listShortNames(header, 20))
		}
		want := o.Column
		if want == "" {
			want = "avg_cpu"
		}
		if indexOf(google2019Derived, want) < 0 {
			return opened{}, in.errorf(line, "the derived file has no column %q; columns: %s", want, strings.Join(google2019Derived, ", "))
		}
		i, err := headerIndex(in, line, header, want, "value")
		if err != nil {
			return opened{}, err
		}
		if o.SeriesBy != "" {
			return opened{}, in.errorf(line, "the derived file holds one series; seriesBy %q does not apply", o.SeriesBy)
		}
		p.timeIdx = -1
		p.interval = o.Interval
		if p.interval == 0 {
			p.interval = 300 * time.Second
		}
		c := f.column(want)
		p.value = plainValue(i, c)
		return opened{p: p, col: *c, single: want}, nil
	}
	c, err := pickColumn(f, o, in.name)
	if err != nil {
		return opened{}, err
	}
	if indexOf(google2019Derived, c.Name) >= 0 {
		return opened{}, in.errorf(line, "column %s belongs to the derived file; this is an instance_usage file", c.Name)
	}
	p.timeIdx, p.timeName, p.parseTime = indexOf(header, "start_time"), "start_time", parseMicros
	by := o.SeriesBy
	if by == "" {
		by = f.DefaultSeriesBy
	}
	for _, k := range strings.Split(by, "/") {
		if indexOf(google2019Keys, k) < 0 {
			return opened{}, fmt.Errorf("%s: %q cannot name a series of %s; allowed: %s (join several with /)", in.name, k, FormatGoogle2019, strings.Join(google2019Keys, ", "))
		}
		i, err := headerIndex(in, line, header, k, "series")
		if err != nil {
			return opened{}, err
		}
		p.keyIdx = append(p.keyIdx, i)
		p.keyNames = append(p.keyNames, k)
	}
	// The value: a flat column (average_usage_cpus or average_usage.cpus), or a field of a
	// struct column (average_usage holding {'cpus': …}).
	if i := indexOf(header, c.Name); i >= 0 {
		p.value = plainValue(i, c)
	} else if i := google2019Dotted(header, c.Name); i >= 0 {
		p.value = plainValue(i, c)
	} else if sc, field, ok := strings.Cut(c.Name, "_usage_"); ok && indexOf(header, sc+"_usage") >= 0 {
		i := indexOf(header, sc+"_usage")
		key := []byte(field)
		p.value = func(p *tableParser, r *row) {
			v, msg := dictField(p.fields[i], key)
			if msg != "" {
				r.bad = fmt.Sprintf("column %s: %s", header[i], msg)
				return
			}
			r.v, r.bad = parseValue(v, c)
		}
	} else {
		return opened{}, in.errorf(line, "no column %s (or %s, or a %s struct column) in the header, which has %s",
			quote(c.Name), quote(google2019DottedName(c.Name)), quote(strings.SplitN(c.Name, "_usage_", 2)[0]+"_usage"), listShortNames(header, 20))
	}
	return opened{p: p, col: *c}, nil
}

// google2019DottedName is the BigQuery name of a nested field: average_usage_cpus →
// average_usage.cpus.
func google2019DottedName(name string) string {
	if a, b, ok := strings.Cut(name, "_usage_"); ok {
		return a + "_usage." + b
	}
	return name
}

func google2019Dotted(header []string, name string) int {
	d := google2019DottedName(name)
	if d == name {
		return -1
	}
	return indexOf(header, d)
}

// dictField finds key in a struct written as {'cpus': 0.1, 'memory': 0.2} or
// {"cpus": 0.1, "memory": 0.2} and returns its value's text.
func dictField(b []byte, key []byte) ([]byte, string) {
	b = trimSpace(b)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, fmt.Sprintf("%s is not a struct, want {'%s': number, ...}", quote(string(b)), key)
	}
	body := b[1 : len(b)-1]
	for len(body) > 0 {
		var item []byte
		if i := bytes.IndexByte(body, ','); i >= 0 {
			item, body = body[:i], body[i+1:]
		} else {
			item, body = body, nil
		}
		k, v, ok := bytes.Cut(item, []byte(":"))
		if !ok {
			continue
		}
		k = bytes.Trim(trimSpace(k), `'"`)
		if bytes.Equal(k, key) {
			return trimSpace(v), ""
		}
	}
	return nil, fmt.Sprintf("%s has no field %s, want {'%s': number, ...}", quote(string(b)), key, key)
}

// openSimple sets up a headerless format whose value is a plain column.
func openSimple(in *input, o *Options, f *Format, sep string, names []string, timeName string,
	parseTime func([]byte, string) (time.Duration, string)) (opened, error) {
	p, c, err := openPositional(in, o, f, sep, names, timeName, parseTime)
	if err != nil {
		return opened{}, err
	}
	return opened{p: p, col: *c}, nil
}
