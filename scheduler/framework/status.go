package framework

import (
	"errors"
	"strconv"
	"strings"
)

// Code is the outcome of running a plugin at one extension point.
type Code int

// The codes a plugin may return. They mirror upstream's framework codes
// (k8s.io/kube-scheduler/framework interface.go) that a filter/score spine needs.
const (
	// Success means the plugin ran and agrees. A nil *Status is Success.
	Success Code = iota
	// Error is an internal error: the scheduling attempt fails, not just the node.
	Error
	// Unschedulable rejects the node; preemption might help.
	Unschedulable
	// UnschedulableAndUnresolvable rejects the node; preemption cannot help.
	UnschedulableAndUnresolvable
	// Skip, from PreFilter or PreScore, means the plugin's Filter or Score is not run this cycle.
	Skip
)

var codeNames = [...]string{"Success", "Error", "Unschedulable", "UnschedulableAndUnresolvable", "Skip"}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Code(" + strconv.Itoa(int(c)) + ")"
}

// Status is a plugin's answer. A nil *Status means Success.
//
// Statuses are immutable once returned: a plugin may return the same precomputed *Status for
// every node it rejects for the same reason, which keeps the filter loop free of allocations
// (upstream's noderesources plugin precomputes its reasons for the same purpose). The framework
// records which plugin answered beside the status rather than inside it.
type Status struct {
	code    Code
	reasons []string
	err     error
}

// NewStatus returns a Status with the code and the reasons. Reasons are the texts counted in
// the unschedulable message ("node(s) had untolerated taint(s)").
func NewStatus(code Code, reasons ...string) *Status {
	return &Status{code: code, reasons: reasons}
}

// AsStatus wraps an internal error; nil gives nil.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, err: err}
}

// Code returns the code; Success for nil.
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// IsSuccess reports whether s is nil or has code Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports whether s has code Skip.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports whether s rejects the node (Unschedulable or UnschedulableAndUnresolvable).
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// Reasons returns the reasons, the error's text first when there is one. The slice must not
// be modified.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	if s.err != nil {
		return append([]string{s.err.Error()}, s.reasons...)
	}
	return s.reasons
}

// Message joins the reasons with ", " as upstream's Status.Message does.
func (s *Status) Message() string {
	return strings.Join(s.Reasons(), ", ")
}

// AsError returns nil for success and skip, and otherwise an error carrying the message.
func (s *Status) AsError() error {
	if s.IsSuccess() || s.IsSkip() {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New(s.Message())
}
