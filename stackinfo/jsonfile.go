package stackinfo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
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
		return fmt.Errorf("parsing %s: line %d, column %d: %w", name, line, col, err)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Errorf("parsing %s: at %q: expected %s, found JSON %s",
			name, typeErr.Field, typeErr.Type, typeErr.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("parsing %s: file is truncated", name)
	}
	return fmt.Errorf("parsing %s: %w", name, err)
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
