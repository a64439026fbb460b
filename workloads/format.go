package workloads

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Names of the trace formats (Options.Format). docs/traces.md describes each.
const (
	FormatCSV              = "csv"                 // generic CSV: named time, value and series columns
	FormatAlibabaMachine   = "alibaba-machine"     // Alibaba cluster-trace-v2018 machine_usage
	FormatAlibabaContainer = "alibaba-container"   // Alibaba cluster-trace-v2018 container_usage
	FormatGoogle2011       = "google2011-task"     // Google cluster-data 2011 task_usage
	FormatGoogle2019       = "google2019-instance" // Google cluster-data 2019 instance_usage, CSV form
	FormatAzureV1          = "azure-v1"            // Azure Public Dataset V1 vm_cpu_readings
	FormatAzureV2          = "azure-v2"            // Azure Public Dataset V2 vm_cpu_readings
	FormatBitbrains        = "bitbrains"           // Bitbrains GWA-T-12 per-VM file
	FormatCounts           = "counts"              // a plain sequence of request counts
	FormatCountCSV         = "count-csv"           // timestamp,count CSV (WorldCup98)
	FormatPrometheus       = "prometheus"          // Prometheus query_range JSON
)

// Resource is what a column measures.
type Resource string

// Resources of columns. Only CPU and request columns can drive a load.
const (
	ResourceCPU      Resource = "cpu"
	ResourceRequests Resource = "requests"
	ResourceMemory   Resource = "memory"
	ResourceDisk     Resource = "disk"
	ResourceNetwork  Resource = "network"
	ResourceOther    Resource = "other"
	ResourceUnknown  Resource = "" // generic CSV and Prometheus: the user says
)

// Column is a value column of a format.
type Column struct {
	Name     string // the name Options.Column takes
	Unit     Unit
	Resource Resource
	Doc      string // what the column holds, for docs and `ksim trace inspect`
	// Header is the column's name in the file's header when it differs from Name (Bitbrains
	// names columns with their units); Options.Column may give either. Aliases are further
	// spellings (the Azure V2 and Google 2019 names).
	Header  string
	Aliases []string
	// Max, when > 0, is the largest valid value: a larger one is an invalid row (the Alibaba
	// schema marks abnormal disk_io_percent values as -1 or 101).
	Max float64
	// derived columns are computed from other columns of the row (Bitbrains cores, Azure cores
	// from the vmtable); they are not in the file.
	derived bool
}

// Format describes a trace format: its columns, units and sampling.
type Format struct {
	Name   string
	Title  string // the dataset and table
	Layout string // the file's shape, one line
	Time   string // where times come from and their unit
	// Columns are the value columns a user may choose; DefaultColumn is the one used when
	// Options.Column is empty ("" when the user must choose, as for generic CSV).
	Columns       []Column
	DefaultColumn string
	// Keys are the columns that may name a series (Options.SeriesBy); DefaultSeriesBy is used
	// when SeriesBy is empty ("" for one series per file).
	Keys            []string
	DefaultSeriesBy string
	// Step is the nominal time between two samples of a series (0: unknown, estimated from the
	// data), and MaxGap the default gap threshold (0: 1.5 × the step: one missing sample).
	Step   time.Duration
	MaxGap time.Duration
	// DefaultGaps is the gap policy when Options.Gaps is empty.
	DefaultGaps GapPolicy
	// open builds the parser for one input.
	open func(f *Format, in *input, o *Options) (opened, error)
}

// column returns the column named name (or with that header or alias), or nil.
func (f *Format) column(name string) *Column {
	for i := range f.Columns {
		c := &f.Columns[i]
		if c.Name == name || (c.Header != "" && c.Header == name) {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// ColumnNames lists the names of f's value columns.
func (f *Format) ColumnNames() []string {
	out := make([]string, len(f.Columns))
	for i, c := range f.Columns {
		out[i] = c.Name
	}
	return out
}

var formats = map[string]*Format{}

func register(f *Format) *Format {
	if _, dup := formats[f.Name]; dup {
		panic("workloads: format registered twice: " + f.Name)
	}
	formats[f.Name] = f
	return f
}

// LookupFormat returns the format named name.
func LookupFormat(name string) (*Format, bool) {
	f, ok := formats[name]
	return f, ok
}

// Formats returns every format, sorted by name.
func Formats() []*Format {
	out := make([]*Format, 0, len(formats))
	for _, f := range formats {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// FormatNames returns the names of every format, sorted, comma-separated (for messages).
func FormatNames() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

// col builds a Column tersely in the format tables; the methods below add to it.
func col(name string, u Unit, r Resource, doc string) Column {
	return Column{Name: name, Unit: u, Resource: r, Doc: doc}
}

func (c Column) header(h string) Column   { c.Header = h; return c }
func (c Column) alias(a ...string) Column { c.Aliases = a; return c }
func (c Column) max(m float64) Column     { c.Max = m; return c }
func (c Column) derive() Column           { c.derived = true; return c }

// UnitText is the unit for messages: "unit not given" for UnitUnknown.
func UnitText(u Unit) string {
	if u == UnitUnknown {
		return "unit not given"
	}
	return string(u)
}

// listShortNames quotes up to max names for a message.
func listShortNames(names []string, max int) string {
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(n))
	}
	if len(names) == 0 {
		return "none"
	}
	return b.String()
}
