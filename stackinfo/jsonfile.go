package stackinfo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
)

// maxFileSize caps every JSON file this package reads. Real assembly files
// are far smaller; the cap keeps a corrupt or hostile file from exhausting
// memory. It is a variable only so that tests can lower it.
var maxFileSize int64 = 64 << 20

// readJSONFile decodes the JSON file at path into v. Its errors name the file
// and, for syntax and type errors, where in the file the problem is.
func readJSONFile(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	// Read into a buffer of the file's size (plus one byte, to see the end
	// without a second read), not one grown step by step.
	size := int64(512)
	if fi, err := f.Stat(); err == nil && fi.Size() < maxFileSize {
		size = fi.Size() + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, err = buf.ReadFrom(io.LimitReader(f, maxFileSize+1))
	data := buf.Bytes()
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > maxFileSize {
		return fmt.Errorf("reading %s: file is larger than %d MiB", path, maxFileSize>>20)
	}
	return decodeJSON(path, data, v)
}

// decodeJSON decodes data, which came from the file name, into v.
func decodeJSON(name string, data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		line, col := position(data, syntaxErr.Offset)
		// json.Unmarshal reports a document that ends too early as a
		// SyntaxError at the end of the input, never as io.ErrUnexpectedEOF.
		if syntaxErr.Offset >= int64(len(data)) {
			return fmt.Errorf("parsing %s: line %d, column %d: the file ends too early "+
				"(truncated?): %w", name, line, col, err)
		}
		return fmt.Errorf("parsing %s: line %d, column %d: %w", name, line, col, err)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("parsing %s: at %s: expected %s, found %s",
			name, jsonPath(typeErr.Field), jsonKind(typeErr.Type), typeErr.Value)
	}
	return fmt.Errorf("parsing %s: %w", name, err)
}

// jsonKind names the JSON value that the Go type t decodes, so that messages
// speak JSON rather than Go type names.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a value"
}

// jsonPath spells the dotted field path of a json.UnmarshalTypeError for a
// message; the empty path is the document itself.
func jsonPath(field string) string {
	if field == "" {
		return "the top level"
	}
	return strconv.Quote(field)
}

// position returns the 1-based line and column of the byte where a
// json.SyntaxError stopped. Its Offset counts the bytes read, so that byte
// is the one at offset-1.
func position(data []byte, offset int64) (line, col int) {
	i := max(min(offset, int64(len(data)))-1, 0)
	before := data[:i]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(i) - bytes.LastIndexByte(before, '\n')
	return line, col
}
