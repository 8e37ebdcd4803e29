// Package shop holds the logic shared by the example Lambda functions.
package shop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Event is the input every example function accepts.
type Event struct {
	Item     string `json:"item"`
	Quantity int    `json:"quantity"`
	// Fail makes the handler return an error (a function error in Lambda terms).
	Fail bool `json:"fail,omitempty"`
	// Crash makes the process exit with status 3 (Runtime.ExitError in Lambda terms).
	Crash bool `json:"crash,omitempty"`
	// SleepMs makes the handler sleep, to exercise timeouts.
	SleepMs int `json:"sleep_ms,omitempty"`
}

// Reply is what every example function returns.
type Reply struct {
	Function string `json:"function"`
	Message  string `json:"message"`
	Total    int    `json:"total"`
}

// ErrOutOfStock is returned when the event asks the handler to fail.
var ErrOutOfStock = errors.New("out of stock")

// Handle applies the shared rules, then names the function that answered.
func Handle(ctx context.Context, function string, unitPrice int, ev Event) (Reply, error) {
	fmt.Fprintf(os.Stderr, "%s: handling %q x%d\n", function, ev.Item, ev.Quantity)
	if ev.Crash {
		os.Exit(3)
	}
	if ev.SleepMs > 0 {
		select {
		case <-time.After(time.Duration(ev.SleepMs) * time.Millisecond):
		case <-ctx.Done():
			return Reply{}, ctx.Err()
		}
	}
	if ev.Fail {
		return Reply{}, ErrOutOfStock
	}
	item := strings.TrimSpace(ev.Item)
	if item == "" {
		item = "nothing"
	}
	return Reply{
		Function: function,
		Message:  fmt.Sprintf("%d x %s", ev.Quantity, item),
		Total:    ev.Quantity * unitPrice,
	}, nil
}
