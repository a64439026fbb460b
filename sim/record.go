package sim

// sampleNodes records each live node's CPU usage: the sum of its pods' usage under their load
// models at this instant. Cost: O(pods): each owner's count of serving pods is cached until a
// pod starts or stops serving (Owner.servingPods).
func (s *Simulation) sampleNodes() {
	for _, n := range s.nodes {
		if n.Removed {
			continue
		}
		var used int64
		for _, p := range n.pods {
			used += s.podUsageMilli(p, s.now)
		}
		n.result.UsedCPU.Add(s.now, float64(used))
	}
}
