package vtl

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatescope/gatescope/server/testenv"
)

// Apache Velocity 1.7 (Debian's velocity package, Java) is the oracle for
// plain Velocity: directives and their whitespace, expressions, string,
// map and list methods. Each case below is rendered by both; where API
// Gateway differs from stock Velocity (a null renders "" rather than its
// source, null == ""), the cases avoid it, and the spec cases in
// vtl_test.go pin API Gateway's behaviour instead.
var oracleCases = []string{
	// Whitespace: a directive alone on its line takes its line break;
	// #set also the indentation before it.
	"a\n#set($x = 1)\nb",
	"  #set($x = 1)\nb",
	"a #set($x = 1) b\n",
	"#if(true)\nyes\n#end\nend",
	"  #if(true)  \n  yes\n  #end\nend",
	"#if(true) x\n#end  y",
	"#if(true)  x  #end  \nz",
	"#if(false)\na\n  #elseif(true)  \nb\n  #else  \nc\n  #end  \nd",
	"#foreach($i in [1,2])  \n[$i]  #end  \ne",
	"  #define($d)  \nD\n  #end  \n$d|",
	"#set($x = \"a\")\n\n#set($y = \"b\")\n",
	"#if(true)#set($z = 1)\n#end\nq",
	"#if(true)\nA#else\nB#end\n",
	"#foreach($i in [1,2])\n  $i\n#end\ndone",
	"## comment\na ## trailing\nb#* block *#c\n  ## indented comment\nd",
	"#set( $x = \"v\" )\n  #set($y=\"w\")  \n$x$y",
	"#{if}(true)braced#{else}no#{end}",
	"#[[ $not #if(parsed) ]]#",
	// Expressions.
	"#set($m = {\"b\":1, \"a\":2, \"c\":[1,\"x\"]})$m $m.c",
	"#set($x = \"a\" + 1)$x",
	"#set($x = 7 / 2)$x ${x} $!x",
	"#set($x = 1.5 * 2)$x#set($y = 10 % 3)$y #set($z = -3)$z",
	"#set($x = 2147483647 + 1)$x",
	"#if(1 < 2 && !false || false)ok#end #if(\"a\" == \"a\")eq#end #if(1 == \"1\")one#end",
	"#set($x = 3)#if($x > 2 and $x lt 4)ok#end #if(not $f)nf#end",
	"#set($x=1)#set($y = $x == 1)$y",
	"#set($n = 3)#set($f = 2.5)$n.toString() #set($r = $n + $f)$r",
	"#set($b = true)$b #set($e = \"\")#if($e)T#{else}F#end",
	"#set($x = 1)#set($x = $nope.foo)$x",
	"#set($q = 'single $x')$q",
	"#set($x = 5)#set($s = \"n=$x #if($x > 2)big#end\")$s",
	// Loops.
	"#foreach($i in [1..3])$i$foreach.count $foreach.hasNext #end",
	"#foreach($i in [3..1])$i$foreach.index,#end",
	"#foreach($i in [1..5])#if($i == 3)#break#end$i#end",
	"#foreach($k in {\"a\":1,\"b\":2})$k,#end",
	"#foreach($i in [1])$velocityCount $velocityHasNext#end",
	"#foreach($a in [1,2])#foreach($b in [\"x\",\"y\"])$a$b$foreach.count #end#end",
	"#define($d)D$x#end#set($x = 9)$d",
	// Strings.
	"#set($s = \"Hi There\")$s.toLowerCase() $s.substring(1,3) $s.indexOf(\"T\") $s.contains(\"The\") $s.startsWith(\"H\") $s.replaceAll(\"[aeiou]\", \"_\") $s.trim() $s.matches(\"H.*\")",
	"#set($s = \"a-b-c\")$s.replace(\"-\", \"+\") $s.length() $s.split(\"-\").size() $s.split(\"-\")[1]",
	"#set($s = \"  pad  \")[$s.trim()] $s.isEmpty() $s.lastIndexOf(\"d\") $s.charAt(2) $s.endsWith(\" \")",
	"#set($s = \"2024-01-02\")$s.replaceAll(\"(\\d+)-(\\d+)-(\\d+)\", \"$3/$2/$1\") $s.replaceFirst(\"-\", \"_\")",
	"#set($s = \"x,y,,\")$s.split(\",\").size()",
	"#set($s = \"Ab\")$s.equals(\"Ab\") $s.equalsIgnoreCase(\"aB\") $s.concat(\"c\") $s.toUpperCase()",
	// Maps and lists.
	"#set($m = {})#set($m.a = 1)$m $m.a#set($m[\"b\"] = 2)$m",
	"#set($m = {\"k\":\"v\"})$m.keySet() $m.values() $m.containsKey(\"k\") $m.get(\"k\") $m $m.size() $m.entrySet()",
	"#set($l = [])#set($d = $l.add(\"x\"))$l $l.isEmpty() $l.contains(\"x\") $l.size()",
	"#set($l=[3,1,2])$l[1] $l.get(0) $l.size() $l.indexOf(2)",
	"#set($m={\"size\":3})$m.size $m.size()",
	"#set($m = {\"a\": {\"b\": [1, {\"c\": true}]}})$m.a.b[1].c $m",
	// Escapes.
	"#set($x = 1)\\$x \\\\$x \\#set",
	"$ 5 $$ # #notadirective",
	"price: $5.00 and 100%",
	// $util, as the Java libraries API Gateway's documentation names.
	"$util.escapeJavaScript('it''s \"quoted\" / back\\slash\ttab\nline é ✓ 😀')",
	"#set($s = \"say \"\"hi\"\"\")$s",
	"#set($s = '<a href=\"x\">it''s</a>')$util.escapeJavaScript($s)",
	"$util.urlEncode('{\"some\": \"value\"}') $util.urlEncode('some raw data') $util.urlEncode('a*b~c.d-e_f!g(h)é/&=')",
	"$util.urlDecode('a+b%20c%2Fd%C3%A9') $util.base64Encode('hello wörld') $util.base64Decode('aGVsbG8gd8O2cmxk')",
}

func TestVelocityOracle(t *testing.T) {
	java := testenv.Need(t, "java")
	jars := []string{"/usr/share/java/velocity.jar", "/usr/share/java/commons-collections3.jar", "/usr/share/java/commons-lang.jar"}
	for _, j := range jars {
		if _, err := os.Stat(j); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required under CI (.ci/run installs Debian's velocity package): %v", j, err)
			}
			t.Skipf("Debian's velocity package is not installed: %v", err)
		}
	}
	var in bytes.Buffer
	for _, c := range oracleCases {
		in.WriteString(c + "\x00\n")
	}
	src, _ := filepath.Abs("testdata/Oracle.java")
	cmd := exec.Command(java, "-cp", strings.Join(jars, ":"), src)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run the Velocity oracle: %v\n%s", err, stderr.String())
	}
	want := strings.Split(string(out), "\x00\n")
	if len(want) != len(oracleCases)+1 {
		t.Fatalf("the oracle answered %d cases, want %d:\n%s", len(want)-1, len(oracleCases), out)
	}
	for i, c := range oracleCases {
		got, err := render(c, map[string]any{"util": Util{}})
		if err != nil {
			got = "ERROR: " + err.Error()
		}
		if got != want[i] {
			t.Errorf("case %d %q:\n got %q\nwant %q (Velocity 1.7)", i, c, got, want[i])
		}
	}
}

func render(src string, vars map[string]any) (string, error) {
	tp, err := Parse(src)
	if err != nil {
		return "", err
	}
	return tp.Render(vars, DefaultLimits)
}
