package stack

// Rules that bound what a compose file may cost the runner before
// compose-go reads it (yaml_limits.go, load.go). They sit here, not in the
// policy package, because they judge the YAML text, not a loaded project.
// Stable names: docs and UIs link them.
const (
	// RuleComposeSize: the document, one of its strings or all its strings
	// together are larger than the runner reads.
	RuleComposeSize = "compose-size"
	// RuleComposeAliases: anchors and aliases (merge keys `<<: *a`
	// included) expand to more than the node budget, or an alias refers to
	// the node that holds it.
	RuleComposeAliases = "compose-aliases"
	// RuleComposeNesting: the document nests deeper than any compose file
	// needs.
	RuleComposeNesting = "compose-nesting"
	// RuleComposeObjects: more services, networks, volumes, configs or
	// secrets than one stack may declare.
	RuleComposeObjects = "compose-objects"
	// RuleComposeInterpolation: ${VAR} substitution would grow a string
	// (or the file) past its bound, or nests defaults too deep.
	RuleComposeInterpolation = "compose-interpolation"
	// RuleComposeExtends: extends: chains copy more than the node budget,
	// or name too many files.
	RuleComposeExtends = "compose-extends"
	// RuleComposePorts: port ranges ("8000-9000:8000-9000") expand to
	// more ports than a stack may list (compose-go makes each one).
	RuleComposePorts = "compose-ports"
	// RuleComposeTimeout: loading the file took longer than its deadline.
	RuleComposeTimeout = "compose-timeout"
)
