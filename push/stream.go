package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// message is one line of the engine's JSON stream. Engines report a failure
// in "error", in "errorDetail", or in both.
type message struct {
	Status      string `json:"status"`
	ID          string `json:"id"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Progress *struct {
		Current int64 `json:"current"`
		Total   int64 `json:"total"`
	} `json:"progressDetail"`
	Aux json.RawMessage `json:"aux"`
}

// pushAux is the out-of-band record a successful push ends with.
type pushAux struct {
	Tag    string `json:"Tag"`
	Digest string `json:"Digest"`
	Size   int64  `json:"Size"`
}

// StreamError is a failure the engine reported inside its JSON stream.
type StreamError struct {
	// Message is the engine's text.
	Message string
}

// Error says that the engine reported the message.
func (e *StreamError) Error() string { return "the engine reported: " + e.Message }

// readPushStream reads the engine's answer to a push to the end, passing each
// status line to onStatus (which may be nil), and returns the digest the
// engine pushed for tag. Any error line makes the push a failure, and so
// does a stream that ends without the digest record.
func readPushStream(r io.Reader, tag string, onStatus func(message)) (string, error) {
	dec := json.NewDecoder(r)
	digest := ""
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading the engine's push stream: %w", err)
		}
		if m.Error != "" || m.ErrorDetail != nil {
			text := m.Error
			if text == "" {
				text = m.ErrorDetail.Message
			}
			if text == "" {
				text = "an error without a message"
			}
			return "", &StreamError{Message: text}
		}
		if len(m.Aux) > 0 {
			var aux pushAux
			if err := json.Unmarshal(m.Aux, &aux); err == nil && aux.Digest != "" &&
				(aux.Tag == "" || aux.Tag == tag) {
				digest = aux.Digest
			}
		}
		if onStatus != nil && m.Status != "" {
			onStatus(m)
		}
	}
	if digest == "" {
		return "", errors.New("the engine's push stream ended without a digest")
	}
	return digest, nil
}
