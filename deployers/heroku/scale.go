package heroku

import (
	"context"
	"fmt"
)

// Scale sets the number of web dynos (heroku ps:scale web=N).
func (c *Client) Scale(ctx context.Context, web int) error {
	_, err := c.heroku(ctx, "scale", "ps:scale", fmt.Sprintf("web=%d", web), "-a", c.AppName)
	return err
}
