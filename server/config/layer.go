package config

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Layer is a Lambda layer of the template (AWS::Serverless::LayerVersion,
// AWS::Lambda::LayerVersion) with local content. Lambda extracts a
// function's layers into /opt, in order; server/lambda gives a process the
// same through NODE_PATH, PYTHONPATH, PATH and LD_LIBRARY_PATH.
type Layer struct {
	// Name is the layer's logical id.
	Name string
	// ARN is what Ref of the layer yields (a version ARN).
	ARN string
	// Content is the layer's content: a directory or a .zip file
	// (ContentUri, Content, or a CDK asset), absolute.
	Content string
	// Build is how `sam build` builds it; nil when it is used as it is.
	Build *Build
}

func isLayerType(t string) bool {
	return t == "AWS::Serverless::LayerVersion" || t == "AWS::Lambda::LayerVersion"
}

// buildLayers reads every layer the template declares, whether a function
// uses it or not.
func (l *loader) buildLayers() error {
	for _, r := range l.order {
		if !isLayerType(r.typ) || !l.included(r) {
			continue
		}
		ly, err := l.layer(r)
		if err != nil {
			return err
		}
		if ly != nil {
			l.layers[r.name] = ly
		}
	}
	return nil
}

// layer reads one layer; nil (listed) when its content cannot be had locally.
func (l *loader) layer(r *resource) (*Layer, error) {
	p := l.props(r)
	ly := &Layer{Name: r.name, ARN: l.refOf(r)}
	var err error
	if ly.Build, err = l.build(r); err != nil {
		return nil, err
	}
	if r.typ == "AWS::Serverless::LayerVersion" {
		n := p.get("ContentUri")
		s, ok := scalar(n)
		switch {
		case p.raw("ContentUri") == nil:
			return nil, p.errorf(nil, "ContentUri", "required: the layer's content")
		case n == nil:
			return nil, nil // unresolvable, already warned
		case !ok:
			p.notEmulated(n, "ContentUri", "layer content in S3 (Bucket/Key) cannot be used locally; point ContentUri at the layer's directory")
			return nil, nil
		case strings.HasPrefix(s, "s3://"):
			p.notEmulated(n, "ContentUri", "layer content in S3 (%s) cannot be used locally; point ContentUri at the layer's directory", s)
			return nil, nil
		}
		ly.Content = l.localPath(s)
	} else {
		if asset, ok := scalar(get(r.metadata, "aws:asset:path")); ok {
			if prop, _ := scalar(get(r.metadata, "aws:asset:property")); prop == "" || prop == "Content" {
				p.raw("Content") // the uploaded copy of the asset
				ly.Content = l.localPath(asset)
			}
		}
		if ly.Content == "" {
			n := p.get("Content")
			if s, ok := scalar(n); ok {
				ly.Content = l.localPath(s)
			} else if n != nil {
				p.notEmulated(n, "Content", "layer content in S3 cannot be used locally; point Content at the layer's directory")
				return nil, nil
			}
		}
	}
	if ly.Build != nil && !ly.Build.Is("makefile") && layerSubfolder(ly.Build.Method) == "" {
		l.notEmulatedAt(&yaml.Node{Line: ly.Build.Line}, loc{r.name, "Metadata.BuildMethod"},
			"BuildMethod %s is not one sam build has for layers (makefile or a runtime's name): the layer's content is used as it is", ly.Build.Method)
		ly.Build = nil
	}
	return ly, nil
}

// layerSubfolder is where `sam build` puts a layer built with a runtime's
// builder: the content's folder under /opt ("" for an unknown method).
func layerSubfolder(method string) string {
	m := strings.ToLower(method)
	switch {
	case strings.HasPrefix(m, "python"):
		return "python"
	case strings.HasPrefix(m, "nodejs"):
		return "nodejs"
	case strings.HasPrefix(m, "ruby"):
		return "ruby/lib"
	case strings.HasPrefix(m, "java"):
		return "java"
	case strings.HasPrefix(m, "dotnet"):
		return "dotnet"
	}
	return ""
}

// Subfolder is where the layer's content lands under /opt as `sam build`
// builds it: python/ or nodejs/ for a runtime's builder, "" (the content
// is the whole of /opt) for a makefile, no build, or a built template.
func (ly *Layer) Subfolder() string {
	if ly.Build == nil || ly.Build.Done || ly.Build.Is("makefile") {
		return ""
	}
	return layerSubfolder(ly.Build.Method)
}

// functionLayers reads a function's Layers (Globals' first): layers of the
// template are used; any other ARN is listed, as gatescope does not
// download published layers.
func (l *loader) functionLayers(f *Function, p props) {
	n := p.raw("Layers")
	if n == nil {
		return
	}
	items := []*yaml.Node{n}
	if isSeq(n) {
		items = deref(n).Content
	}
	for i, it := range items {
		if ly := l.layerRef(it); ly != nil {
			f.Layers = append(f.Layers, ly)
			continue
		}
		v, _ := l.resolve(it, p.at("Layers").index(i))
		s, ok := scalar(v)
		switch {
		case v == nil:
			// AWS::NoValue, or unresolvable (already warned).
		case !ok:
			p.notEmulated(it, "Layers", "a layer must be an ARN, got %s", describe(v))
		default:
			if ly := l.layerByARN(s); ly != nil {
				f.Layers = append(f.Layers, ly)
				continue
			}
			if l.layerResource(s) {
				continue // a layer of the template without local content: listed there
			}
			p.notEmulated(it, "Layers", "layer %s is not in this template: gatescope does not download published layers, "+
				"so the function runs without its /opt contents; declare the layer in the template with its content to use it", s)
		}
	}
}

// layerRef is the layer a Layers item names by Ref, or nil.
func (l *loader) layerRef(n *yaml.Node) *Layer {
	ps := pairs(n)
	if len(ps) != 1 || ps[0].key != "Ref" {
		return nil
	}
	name, _ := scalar(ps[0].v)
	return l.layers[name]
}

// layerByARN is the template's layer an ARN names (by logical id or
// LayerName, in this account), or nil.
func (l *loader) layerByARN(arn string) *Layer {
	name, ok := l.localLayerName(arn)
	if !ok {
		return nil
	}
	if ly := l.layers[name]; ly != nil {
		return ly
	}
	for _, r := range l.order {
		if isLayerType(r.typ) {
			if n, _ := scalar(l.quiet(get(r.props, "LayerName"), r.name)); n == name {
				return l.layers[r.name]
			}
		}
	}
	return nil
}

// layerResource reports whether arn names a layer resource of the template.
func (l *loader) layerResource(arn string) bool {
	name, ok := l.localLayerName(arn)
	r := l.resources[name]
	return ok && r != nil && isLayerType(r.typ)
}

// localLayerName is the layer name in a layer ARN of this account.
func (l *loader) localLayerName(arn string) (string, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "layer" || parts[4] != l.opts.AccountID {
		return "", false
	}
	return parts[6], true
}
