package config

import "go.yaml.in/yaml/v3"

// mergeGlobals applies a Globals section to a resource's Properties by SAM's
// rules: mappings merge key by key (recursively, the resource winning),
// lists concatenate (globals first), and anything else, including an
// intrinsic function on either side, is taken from the resource.
// The result shares nodes with its inputs; neither input is modified.
func mergeGlobals(global, local *yaml.Node) *yaml.Node {
	global, local = deref(global), deref(local)
	switch {
	case global == nil:
		return local
	case local == nil:
		return global
	case global.Kind == yaml.MappingNode && local.Kind == yaml.MappingNode &&
		!isIntrinsicMap(global) && !isIntrinsicMap(local):
		out := mapNode(local.Line, local.Column)
		lp := pairs(local)
		byKey := make(map[string]pair, len(lp))
		for _, p := range lp {
			byKey[p.key] = p
		}
		for _, g := range pairs(global) {
			if lv, ok := byKey[g.key]; ok {
				out.Content = append(out.Content, lv.k, mergeGlobals(g.v, lv.v))
				delete(byKey, g.key)
				continue
			}
			out.Content = append(out.Content, g.k, g.v)
		}
		for _, p := range lp {
			if _, ok := byKey[p.key]; ok {
				out.Content = append(out.Content, p.k, p.v)
			}
		}
		return out
	case global.Kind == yaml.SequenceNode && local.Kind == yaml.SequenceNode:
		out := seqNode(local.Line, local.Column)
		out.Content = append(append(out.Content, global.Content...), local.Content...)
		return out
	}
	return local
}

func isIntrinsicMap(n *yaml.Node) bool {
	ps := pairs(n)
	return len(ps) == 1 && (isIntrinsic(ps[0].key) || ps[0].key == "Condition")
}
