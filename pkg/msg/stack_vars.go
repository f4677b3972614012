package msg

// StackVariablesRequest asks which variables a compose file uses (the
// stack form shows an input for each). Context, as for StackUpRequest,
// names the uploaded project, whose .env gives values.
type StackVariablesRequest struct {
	Compose string `json:"compose"`
	Context string `json:"context,omitempty"`
}

// StackVariables is the reply: the file's variables in the order it first
// uses them.
type StackVariables struct {
	Variables []StackVariable `json:"variables"`
	// DotEnv: the project has a .env (its values are in Value).
	DotEnv bool `json:"dotenv,omitempty"`
}

// StackVariable is one variable the compose file interpolates.
type StackVariable struct {
	Name string `json:"name"`
	// Default is the file's ${NAME:-default} (or ${NAME-default}).
	Default string `json:"default,omitempty"`
	// Required: the file says ${NAME:?message}; up fails without a value.
	Required bool `json:"required,omitempty"`
	// Used lists where the file uses it: "services.web.image".
	Used []string `json:"used"`
	// Value is the project's .env value, when InDotEnv.
	Value    string `json:"value,omitempty"`
	InDotEnv bool   `json:"in_dotenv,omitempty"`
}
