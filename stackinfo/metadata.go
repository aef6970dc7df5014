package stackinfo

import (
	"encoding/json"
	"strings"
	"sync"
)

// metadataLogicalID is the metadata entry type that ties a construct path
// to the logical id of the resource or output it made.
const metadataLogicalID = "aws:cdk:logicalId"

// metadataEntry is one entry of a stack artifact's metadata. Data is left
// raw: only the logical id entries, whose data is a string, are used.
type metadataEntry struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// readMetadataFile reads a stack's additionalMetadataFile: construct paths
// (with a leading '/'), each with its list of entries.
func readMetadataFile(path string) (map[string][]metadataEntry, error) {
	var meta map[string][]metadataEntry
	if err := readJSONFile(path, &meta); err != nil {
		return nil, err
	}
	return meta, nil
}

// addMetadata adds to paths the construct path of every logical id that
// meta names, without the leading '/' and one trailing "/Resource" of L2
// constructs, so that it reads like the aws:cdk:path of the template.
func addMetadata(paths map[string]string, meta map[string][]metadataEntry) {
	for path, entries := range meta {
		for _, e := range entries {
			if e.Type != metadataLogicalID {
				continue
			}
			var id string
			if json.Unmarshal(e.Data, &id) != nil || id == "" {
				continue
			}
			paths[id] = constructPathOf(path)
		}
	}
}

// constructPathOf trims a construct path as metadata writes it.
func constructPathOf(p string) string {
	return strings.TrimSuffix(strings.TrimLeft(p, "/"), "/Resource")
}

// stackMetadata is a stack artifact's metadata. The metadata file is read
// on first use only: most stacks never need it, as their templates name
// their resources' construct paths themselves.
type stackMetadata struct {
	inline map[string][]metadataEntry
	// file is the additionalMetadataFile, or "".
	file string

	once  sync.Once
	paths map[string]string
	err   error
}

// pathOf returns the construct path of the resource or output with the
// logical id id, "" when the metadata does not name it. A metadata file
// that cannot be read is an error; m may be nil.
func (m *stackMetadata) pathOf(id string) (string, error) {
	if m == nil {
		return "", nil
	}
	m.once.Do(func() {
		m.paths = map[string]string{}
		addMetadata(m.paths, m.inline)
		if m.file == "" {
			return
		}
		meta, err := readMetadataFile(m.file)
		if err != nil {
			m.err = err
			return
		}
		addMetadata(m.paths, meta)
	})
	return m.paths[id], m.err
}
