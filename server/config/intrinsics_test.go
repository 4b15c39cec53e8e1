package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// What the intrinsics tests' AWS::DynamoDB::Table stands for.
const (
	tableARN    = "arn:aws:dynamodb:us-east-1:123456789012:table/Table"
	tableRef    = "Ref Table stands for its logical id, as in SAM CLI (Table is an AWS::DynamoDB::Table, which gatescope does not create)"
	tableGetAtt = `Fn::GetAtt Table.Arn stands for "` + tableARN + `" (Table is an AWS::DynamoDB::Table, which gatescope does not create)`
)

const envDropped = "; the function does not get this variable (give it a value with --env-vars)"

const intrinsicsHeader = `Parameters:
  Stage:
    Type: String
    Default: dev
  Size:
    Type: Number
    Default: 256
  Subnets:
    Type: CommaDelimitedList
    Default: "a, b,c"
  NoDefault:
    Type: String
Mappings:
  Env:
    dev:
      Table: dev-table
      Zones: [x, y]
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
  IsProd: !Not [!Condition IsDev]
  Both: !And [!Condition IsDev, !Equals [!Ref AWS::Region, us-east-1]]
  Either: {"Fn::Or": [{Condition: IsProd}, {"Fn::Equals": [a, b]}]}
  Unknown: !Equals [!ImportValue Shared, x]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub ${AWS::StackName}-hello
      Runtime: provided.al2023
      Handler: bootstrap
      Environment:
        Variables:
          K: kept
          V: `

// TestIntrinsics resolves one environment variable per case, so each
// intrinsic is checked in isolation, with the warning it must produce.
func TestIntrinsics(t *testing.T) {
	const absent = "\x00absent"
	tests := []struct {
		name  string
		value string
		opts  Options
		want  string // absent: the key is dropped
		// warns are (message, property) at the V line unless line is set.
		warns []Warning
	}{
		{name: "Ref parameter default", value: "!Ref Stage", want: "dev"},
		{name: "Ref parameter override", value: "!Ref Stage", opts: Options{ParameterOverrides: map[string]string{"Stage": "prod"}}, want: "prod"},
		{name: "Ref number parameter", value: "!Ref Size", want: "256"},
		{name: "Ref long form", value: "{Ref: Stage}", want: "dev"},
		{name: "Ref AWS::Region default", value: "!Ref AWS::Region", want: "us-east-1"},
		{name: "Ref AWS::Region option", value: "!Ref AWS::Region", opts: Options{Region: "eu-west-1"}, want: "eu-west-1"},
		{name: "Ref AWS::AccountId", value: "!Ref AWS::AccountId", want: "123456789012"},
		{name: "Ref AWS::AccountId leading zero", value: "!Ref AWS::AccountId", opts: Options{AccountID: "012345678901"}, want: "012345678901"},
		{name: "Ref AWS::Partition", value: "!Ref AWS::Partition", want: "aws"},
		{name: "Ref AWS::Partition China", value: "!Ref AWS::Partition", opts: Options{Region: "cn-north-1"}, want: "aws-cn"},
		{name: "Ref AWS::StackName", value: "!Ref AWS::StackName", want: "gatescope"},
		{name: "Ref AWS::URLSuffix", value: "!Ref AWS::URLSuffix", want: "amazonaws.com"},
		{name: "Ref AWS::NoValue deletes the key", value: "!Ref AWS::NoValue", want: absent},
		{name: "Ref function is its name", value: "!Ref Hello", want: "gatescope-hello"},
		{name: "GetAtt short form", value: "!GetAtt Hello.Arn", want: "arn:aws:lambda:us-east-1:123456789012:function:gatescope-hello"},
		{name: "GetAtt long form", value: `{"Fn::GetAtt": [Hello, Arn]}`, want: "arn:aws:lambda:us-east-1:123456789012:function:gatescope-hello"},
		{name: "GetAtt with account and region", value: "!GetAtt Hello.Arn", opts: Options{Region: "eu-west-1", AccountID: "012345678901"}, want: "arn:aws:lambda:eu-west-1:012345678901:function:gatescope-hello"},
		{name: "Sub string form", value: `!Sub "${Stage}-${AWS::Region}-${Hello}"`, want: "dev-us-east-1-gatescope-hello"},
		{name: "Sub list form", value: `!Sub ["${A}-${Stage}", {A: !Ref Size}]`, want: "256-dev"},
		{name: "Sub GetAtt", value: `!Sub "${Hello.Arn}:live"`, want: "arn:aws:lambda:us-east-1:123456789012:function:gatescope-hello:live"},
		{name: "Sub escaped literal", value: `!Sub "${!Literal}-${Stage}"`, want: "${Literal}-dev"},
		{name: "Sub long form", value: `{"Fn::Sub": "${Stage}"}`, want: "dev"},
		{name: "Join", value: `!Join ["-", [a, !Ref Stage, !Ref Size]]`, want: "a-dev-256"},
		{name: "Join list parameter", value: `!Join ["+", !Ref Subnets]`, want: "a+b+c"},
		{name: "Join drops NoValue items", value: `!Join ["-", [a, !Ref AWS::NoValue, b]]`, want: "a-b"},
		{name: "Select from list parameter", value: "!Select [1, !Ref Subnets]", want: "b"},
		{name: "Select string index", value: `!Select ["0", [x, y]]`, want: "x"},
		{name: "Select Split", value: `!Select [1, !Split ["/", "x/y/z"]]`, want: "y"},
		{name: "FindInMap", value: "!FindInMap [Env, !Ref Stage, Table]", want: "dev-table"},
		{name: "FindInMap list value", value: `!Join ["", !FindInMap [Env, dev, Zones]]`, want: "xy"},
		{name: "If true", value: "!If [IsDev, yes, no]", want: "yes"},
		{name: "If false with override", value: "!If [IsDev, yes, no]", opts: Options{ParameterOverrides: map[string]string{"Stage": "prod"}}, want: "no"},
		{name: "If NoValue", value: "!If [IsProd, yes, !Ref AWS::NoValue]", want: absent},
		{name: "If And", value: "!If [Both, both, no]", want: "both"},
		{name: "If Or long form", value: `{"Fn::If": [Either, e, ne]}`, want: "ne"},
		{name: "Equals as a value", value: "!Equals [a, a]", want: "true"},
		{name: "Base64", value: "!Base64 hi", want: "aGk="},
		{name: "GetAZs", value: `!Select [0, !GetAZs ""]`, want: "us-east-1a"},
		{name: "integer as YAML text", value: "42", want: "42"},
		{name: "float keeps its text", value: "2.0", want: "2.0"},
		{name: "bool as YAML text", value: "true", want: "true"},
		{name: "leading zero stays", value: "012345678901", want: "012345678901"},
		{name: "null is empty", value: "", want: ""},

		// A resource gatescope does not create: Ref stands for its logical
		// id, an Arn for a well-formed ARN of its service (as SAM CLI), and
		// the warning says what the function sees.
		{name: "Ref other resource", value: "!Ref Table", want: "Table", warns: []Warning{
			{Property: "Environment.Variables.V", Message: `the function sees "Table": ` + tableRef}}},
		{name: "GetAtt other resource", value: "!GetAtt Table.Arn", want: tableARN, warns: []Warning{
			{Property: "Environment.Variables.V", Message: `the function sees "` + tableARN + `": ` + tableGetAtt}}},
		{name: "GetAtt stream of a table", value: "!GetAtt Table.StreamArn", want: tableARN + "/stream/1970-01-01T00:00:00.000", warns: []Warning{
			{Property: "Environment.Variables.V", Message: `the function sees "` + tableARN + `/stream/1970-01-01T00:00:00.000": Fn::GetAtt Table.StreamArn stands for "` +
				tableARN + `/stream/1970-01-01T00:00:00.000" (Table is an AWS::DynamoDB::Table, which gatescope does not create)`}}},
		{name: "GetAtt unknown attribute of other resource", value: "!GetAtt Table.Nope", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::GetAtt Table.Nope: cannot be resolved locally (an AWS::DynamoDB::Table); value dropped"}}},
		{name: "Ref overridden by --env-vars", value: "!Ref Table", want: "from-file",
			opts: Options{EnvVars: EnvVars{"Hello": {"V": "from-file"}}}},
		{name: "GetAtt unknown attribute", value: "!GetAtt Hello.Version", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::GetAtt Hello.Version: cannot be resolved locally (only a function's Arn can); value dropped"}}},
		{name: "ImportValue", value: "!ImportValue Shared", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::ImportValue cannot be resolved locally (it reads another stack's exports); value dropped"}}},
		{name: "Sub of other resource", value: `!Sub "${Table.Arn}/index"`, want: tableARN + "/index", warns: []Warning{
			{Property: "Environment.Variables.V", Message: `the function sees "` + tableARN + `/index": ` + tableGetAtt}}},
		{name: "Sub keeps what it cannot resolve", value: `!Sub "${Table.Nope}/index"`, want: "${Table.Nope}/index", warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::Sub: Fn::GetAtt Table.Nope: cannot be resolved locally (an AWS::DynamoDB::Table); ${Table.Nope} left as literal text"}}},
		{name: "Ref parameter without value", value: "!Ref NoDefault", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Ref NoDefault: parameter has no Default and no override; value dropped"}}},
		{name: "Ref parameter override fills it", value: "!Ref NoDefault", opts: Options{ParameterOverrides: map[string]string{"NoDefault": "set"}}, want: "set"},
		{name: "Ref unknown name", value: "!Ref Nope", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Ref Nope: no parameter or resource of that name; value dropped"}}},
		{name: "Join with a stand-in", value: `!Join ["-", [a, !Ref Table]]`, want: "a-Table", warns: []Warning{
			{Property: "Environment.Variables.V", Message: `the function sees "a-Table": ` + tableRef}}},
		{name: "Join with unresolvable item is dropped", value: `!Join ["-", [a, !Ref Nope]]`, want: absent, warns: []Warning{
			{Property: "Environment.Variables.V[1]", Message: "Ref Nope: no parameter or resource of that name; value dropped"}}},
		{name: "Select out of range", value: "!Select [5, [a]]", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::Select index 5 is out of range for a list of 1; value dropped"}}},
		{name: "FindInMap missing entry", value: "!FindInMap [Env, prod, Table]", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::FindInMap [Env, prod, Table]: no such entry in Mappings; value dropped"}}},
		{name: "If undefined condition", value: "!If [Missing, a, b]", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::If condition Missing: condition Missing is not defined in Conditions; value dropped"}}},
		{name: "Cidr unsupported", value: `!Cidr ["10.0.0.0/16", 2, 8]`, want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::Cidr is not supported locally; value dropped"}}},
		{name: "Ref of a list", value: "!Ref [a]", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Ref expects a logical name, got a list; value dropped"}}},
		{name: "GetAtt without attribute", value: "!GetAtt Hello", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: `Fn::GetAtt expects a list of 2 values, got "Hello"; value dropped`}}},
		{name: "Sub of a mapping", value: "!Sub {a: b}", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "Fn::Sub expects a list of 1 to 2 values, got a mapping; value dropped"}}},
		{name: "mapping value", value: "{a: 1}", want: absent, warns: []Warning{
			{Property: "Environment.Variables.V", Message: "must be a string, got a mapping; the function does not get this variable"}}},
		{name: "--env-vars fills a variable that cannot be resolved", value: "!ImportValue Shared", want: "from-file",
			opts: Options{EnvVars: EnvVars{"Parameters": {"V": "from-file"}}}},
		{name: "unknown tag", value: "!Foo bar", want: "bar", warns: []Warning{
			{Message: "unknown tag !Foo ignored"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := intrinsicsHeader + tt.value + "\n"
			p := mustParse(t, src, tt.opts)
			if len(p.Functions) != 1 {
				t.Fatalf("got %d functions, want 1", len(p.Functions))
			}
			want := map[string]string{"K": "kept"}
			if tt.want != absent {
				want["V"] = tt.want
			}
			if diff := cmp.Diff(want, p.Functions[0].Env); diff != "" {
				t.Errorf("Env mismatch (-want +got):\n%s", diff)
			}
			var warns []Warning
			for _, w := range tt.warns {
				// The table says what the resolver says; read for an
				// environment variable, that is what the function misses.
				w.Message = strings.Replace(w.Message, "; value dropped", envDropped, 1)
				w.File, w.Line = template, lineOf(t, src, "V: ", 1)
				if w.Property != "" {
					w.Resource = "Hello"
				}
				warns = append(warns, w)
			}
			if diff := cmp.Diff(warns, p.Warnings); diff != "" {
				t.Errorf("Warnings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConditionWarning checks that a condition that cannot be evaluated is
// reported where it is defined and where its value is dropped.
func TestConditionWarning(t *testing.T) {
	src := intrinsicsHeader + "!If [Unknown, a, b]\n"
	p := mustParse(t, src, Options{})
	want := []Warning{
		warning(lineOf(t, src, "Unknown:", 1), "", "Conditions.Unknown", "Fn::ImportValue cannot be resolved locally (it reads another stack's exports); value dropped"),
		warning(lineOf(t, src, "V: ", 1), "Hello", "Environment.Variables.V", "Fn::If condition Unknown: Fn::Equals: cannot be resolved locally"+envDropped),
	}
	if diff := cmp.Diff(want, p.Warnings); diff != "" {
		t.Errorf("Warnings mismatch (-want +got):\n%s", diff)
	}
	if _, ok := p.Functions[0].Env["V"]; ok {
		t.Errorf("V = %q, want it dropped", p.Functions[0].Env["V"])
	}
}

func TestParameterOverrideWithoutParameter(t *testing.T) {
	src := intrinsicsHeader + "x\n"
	p := mustParse(t, src, Options{ParameterOverrides: map[string]string{"Zeta": "1", "Alpha": "2"}})
	want := []Warning{
		{File: template, Message: "parameter override Alpha matches no parameter in the template"},
		{File: template, Message: "parameter override Zeta matches no parameter in the template"},
	}
	if diff := cmp.Diff(want, p.Warnings); diff != "" {
		t.Errorf("Warnings mismatch (-want +got):\n%s", diff)
	}
}
