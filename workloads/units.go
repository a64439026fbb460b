package workloads

// Unit is the unit of a trace column's values, as the trace's documentation defines it. Readers
// never convert values: a reader returns what the file holds, and the unit says what that is.
// The engine turns a CPU unit into cores (CoreFactor) and request counts into requests per
// second (dividing by the trace's step) when it builds a load.
type Unit string

// Units of the columns the readers know. Columns that are neither CPU nor requests (memory,
// disk, network) have descriptive units and cannot drive a load without an explicit scale.
const (
	// UnitUnknown is a column whose unit the file does not say (generic CSV, Prometheus): a
	// load needs an explicit scale or peakCores, or the user declares the unit.
	UnitUnknown Unit = ""
	// UnitCores is CPU cores in use (core-seconds per second).
	UnitCores Unit = "cores"
	// UnitPercent is a percentage (0-100) of a capacity the file does not give: the machine's
	// CPUs (Alibaba machine_usage), a VM's cores (Azure), a container's request (Alibaba
	// container_usage, by the usual reading). A load needs the capacity in cores.
	UnitPercent Unit = "percent"
	// UnitNormalized is a fraction of the largest machine's capacity (Google cluster data): a
	// load needs that machine's cores.
	UnitNormalized Unit = "normalized"
	// UnitMHz is CPU cycles per second in MHz (Bitbrains).
	UnitMHz Unit = "MHz"
	// UnitRequests is a count of requests in each sample interval (request logs).
	UnitRequests Unit = "requests"
	// UnitRequestsPerSecond is a request rate.
	UnitRequestsPerSecond Unit = "requests/s"
)

// Units are the units a user may declare for a column whose unit the file does not say.
var Units = []Unit{UnitCores, UnitPercent, UnitNormalized, UnitMHz, UnitRequests, UnitRequestsPerSecond}

// IsCPU reports whether u measures CPU.
func (u Unit) IsCPU() bool {
	switch u {
	case UnitCores, UnitPercent, UnitNormalized, UnitMHz:
		return true
	}
	return false
}

// IsRequests reports whether u measures requests.
func (u Unit) IsRequests() bool { return u == UnitRequests || u == UnitRequestsPerSecond }

// CoreFactor returns the factor that turns a value in unit u into cores, given the capacity the
// values are relative to (capacityCores: a machine's, a VM's or a container's cores, for
// percent and normalized values). ok is false when u is not a CPU unit or needs a capacity that
// is not given (capacityCores <= 0), and for MHz, whose factor (cores per MHz) the file gives
// per row, not per unit. Cost: O(1).
func (u Unit) CoreFactor(capacityCores float64) (factor float64, ok bool) {
	switch u {
	case UnitCores:
		return 1, true
	case UnitPercent:
		return capacityCores / 100, capacityCores > 0
	case UnitNormalized:
		return capacityCores, capacityCores > 0
	}
	return 0, false
}

// NeedsCapacity reports whether CoreFactor needs a capacity for u.
func (u Unit) NeedsCapacity() bool { return u == UnitPercent || u == UnitNormalized }
