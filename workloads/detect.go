package workloads

import (
	"bytes"
	"fmt"
	"strings"
)

// DetectBytes is how much of the start of a file Detect needs.
const DetectBytes = 64 << 10

// Detect guesses the format of a trace file from its first bytes (up to DetectBytes) and says
// why, for the user to check. It looks only at the shape of the first line: JSON (Prometheus),
// the Bitbrains header, a line of whole numbers (counts), a header row (Google 2019, count
// CSV, generic CSV), or the field counts and id prefixes of the headerless cluster traces. It
// cannot tell Azure V1 from V2 (their readings have the same layout) and answers V1. Cost:
// O(len(head)).
func Detect(head []byte) (format, why string, err error) {
	b := bytes.TrimPrefix(head, []byte("\uFEFF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "", "", fmt.Errorf("the file is empty; cannot detect its format")
	}
	if b[0] == '{' || b[0] == '[' {
		return FormatPrometheus, "the file is JSON (a query_range response or a matrix)", nil
	}
	line := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		line = b[:i]
	}
	line = trimCR(line)
	if bytes.HasPrefix(bytes.ToLower(line), []byte("timestamp")) && bytes.Contains(line, []byte(";")) {
		return FormatBitbrains, "the header starts with Timestamp and fields are separated by ';' (GWA-T-12)", nil
	}
	if onlyCounts(line) {
		return FormatCounts, "the first line holds only whole numbers separated by spaces", nil
	}
	fields, _, msg := splitQuoted(line, nil, nil)
	if msg != "" {
		return "", "", fmt.Errorf("the first line is not CSV (%s); give the format", msg)
	}
	names := make([]string, len(fields))
	numeric := 0
	for i, f := range fields {
		names[i] = string(trimSpace(f))
		if _, ok := parseDecimal(trimSpace(f)); ok {
			numeric++
		}
	}
	if numeric == 0 && len(names) >= 2 {
		// A header row.
		switch {
		case indexOf(names, "start_time") >= 0:
			return FormatGoogle2019, "the header has start_time (a Google 2019 instance_usage export)", nil
		case len(names) > 0 && names[0] == "avg_cpu":
			return FormatGoogle2019, "the header starts with avg_cpu (the derived Google 2019 per-cell file)", nil
		case len(names) == 2 && strings.EqualFold(names[1], "count"):
			return FormatCountCSV, fmt.Sprintf("the header is %s,%s (time, count)", names[0], names[1]), nil
		case indexOf(names, DefaultTimeColumn) >= 0:
			return FormatCSV, "a header row with a timestamp column", nil
		}
		return FormatCSV, "a header row (give the time column with --time-column: it has no \"timestamp\")", nil
	}
	first := names[0]
	switch {
	case len(names) == 20 && isWhole(names[0]) && isWhole(names[1]):
		return FormatGoogle2011, "20 fields per row, starting with two whole numbers (start_time, end_time in µs)", nil
	case len(names) == 9 && strings.HasPrefix(first, "m_"):
		return FormatAlibabaMachine, fmt.Sprintf("9 fields per row, the first a machine id (%s)", quote(first)), nil
	case len(names) == 11 && strings.HasPrefix(first, "c_") && strings.HasPrefix(names[1], "m_"):
		return FormatAlibabaContainer, fmt.Sprintf("11 fields per row, a container id (%s) then a machine id", quote(first)), nil
	case len(names) == 5 && isWhole(first):
		return FormatAzureV1, "5 fields per row: timestamp, VM id, min, max, avg CPU (Azure V1 and V2 share this layout)", nil
	case len(names) == 11 && !isWhole(first):
		return "", "", fmt.Errorf("this looks like an Azure vmtable (11 fields, a VM id first), which holds no readings; give it as the vmtable of an azure trace")
	}
	return "", "", fmt.Errorf("cannot tell the format from the first line (%s per row); give it (one of %s)", plural(len(names), "field"), FormatNames())
}

// onlyCounts reports whether line holds only whole numbers separated by spaces or tabs (at
// least one).
func onlyCounts(line []byte) bool {
	seen := false
	for _, c := range line {
		switch {
		case c >= '0' && c <= '9':
			seen = true
		case c == ' ' || c == '\t' || c == '\r':
		default:
			return false
		}
	}
	return seen
}

func isWhole(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
