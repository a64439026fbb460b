package workloads

// fuzzMaxBytes caps fuzz inputs: big inputs only slow the fuzzer down, and the limits that
// matter for big input have their own test (TestLimits).
const fuzzMaxBytes = 64 << 10
