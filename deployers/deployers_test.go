package deployers

import (
	"errors"
	"strings"
	"testing"

	"github.com/mcpctl/mcpctl/config"
)

type named struct {
	Platform
	t Target
}

func TestForProjectPicksTheRecordedPlatform(t *testing.T) {
	f := Factory{
		"heroku":   func(t Target) Platform { return named{t: t} },
		"cloudrun": func(t Target) Platform { return named{t: t} },
	}
	cfg := config.Default("weather")
	if _, err := f.ForProject(cfg); !errors.Is(err, ErrNoApp) {
		t.Fatalf("nothing deployed: %v", err)
	}
	cfg.Deploy.CloudRun = config.CloudRun{Service: "weather", Region: "europe-west1", Project: "acme-prod"}
	p, err := f.ForProject(cfg)
	if err != nil || p.(named).t != (Target{Platform: "cloudrun", Title: "Cloud Run", App: "weather", Region: "europe-west1", Project: "acme-prod", Table: "deploy.cloudrun", Key: "service"}) {
		t.Fatalf("cloud run: %v %v", p, err)
	}
	cfg.Deploy.Heroku.App = "weather-h"
	if _, err := f.ForProject(cfg); err == nil || !strings.Contains(err.Error(), "[deploy.heroku] weather-h, [deploy.cloudrun] weather") {
		t.Fatalf("both: %v", err)
	}
	cfg.Deploy.CloudRun = config.CloudRun{}
	if p, err := f.ForProject(cfg); err != nil || p.(named).t.Platform != "heroku" {
		t.Fatalf("heroku: %v %v", p, err)
	}
}
