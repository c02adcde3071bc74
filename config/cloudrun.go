package config

import (
	"fmt"
	"regexp"
)

// CloudRun is the [deploy.cloudrun] table: the Cloud Run service a deploy records, so
// that keys, connect and check find it.
type CloudRun struct {
	Service string `toml:"service"`
	Region  string `toml:"region"`
	Project string `toml:"project"`
}

var (
	serviceRE   = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,47}[a-z0-9])?$`)
	gcpRegionRE = regexp.MustCompile(`^[a-z]+-[a-z]+[0-9]+$`)
	gcpProjRE   = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
)

// CheckService validates a Cloud Run service name: a lowercase letter, then lowercase
// letters, digits and dashes, at most 49 characters, no dash at the end.
func CheckService(s string) error {
	if !serviceRE.MatchString(s) {
		return fmt.Errorf("%q is not a valid Cloud Run service name: use up to 49 lowercase letters, digits or dashes, a letter first, no dash last", s)
	}
	return nil
}

// CheckGCPRegion validates a Google Cloud region such as us-central1.
func CheckGCPRegion(r string) error {
	if !gcpRegionRE.MatchString(r) {
		return fmt.Errorf("%q is not a Google Cloud region such as us-central1 or europe-west1 (list them: gcloud run regions list)", r)
	}
	return nil
}

// CheckGCPProject validates a Google Cloud project id.
func CheckGCPProject(p string) error {
	if !gcpProjRE.MatchString(p) {
		return fmt.Errorf("%q is not a Google Cloud project id: 6-30 lowercase letters, digits or dashes, a letter first (list yours: gcloud projects list)", p)
	}
	return nil
}

func (c CloudRun) validate() []Problem {
	var probs []Problem
	for _, v := range []struct {
		key, val string
		check    func(string) error
	}{{"deploy.cloudrun.service", c.Service, CheckService}, {"deploy.cloudrun.region", c.Region, CheckGCPRegion}, {"deploy.cloudrun.project", c.Project, CheckGCPProject}} {
		if v.val == "" {
			continue
		}
		if err := v.check(v.val); err != nil {
			probs = append(probs, Problem{Key: v.key, Message: err.Error()})
		}
	}
	return probs
}
