package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSetString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"replace", "[project]\nname = \"weather\"\n\n[deploy.heroku]\n# the app\napp = \"\"  # filled in by deploy\nregion = \"eu\"\n",
			"[project]\nname = \"weather\"\n\n[deploy.heroku]\n# the app\napp = \"weather-prod\"  # filled in by deploy\nregion = \"eu\"\n"},
		{"add key to table", "[project]\nname = \"weather\"\n[deploy.heroku]\nregion = \"eu\"\n# trailing comment\n",
			"[project]\nname = \"weather\"\n[deploy.heroku]\nregion = \"eu\"\napp = \"weather-prod\"\n# trailing comment\n"},
		{"add table", "[project]\nname = \"weather\" # mine",
			"[project]\nname = \"weather\" # mine\n\n[deploy.heroku]\napp = \"weather-prod\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, FileName)
			os.WriteFile(p, []byte(tc.in), 0o640)
			if err := SetString(dir, "deploy.heroku", "app", "weather-prod"); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(p)
			if string(got) != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tc.want)
			}
			if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
				t.Errorf("mode changed to %o", st.Mode().Perm())
			}
			f, err := Load(dir)
			if err != nil || f.Deploy.Heroku.App != "weather-prod" {
				t.Fatalf("reloaded: %v %+v", err, f)
			}
		})
	}
}

func TestSetStringRefusesInvalidResult(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, FileName)
	in := "[project]\nname = \"weather\"\n"
	os.WriteFile(p, []byte(in), 0o644)
	if err := SetString(dir, "deploy.heroku", "app", "Not Valid"); err == nil {
		t.Fatal("wrote an invalid app name")
	}
	if got, _ := os.ReadFile(p); string(got) != in {
		t.Fatalf("file changed:\n%s", got)
	}
}

// A project file with a UTF-8 BOM is read and edited like any other; the BOM stays.
func TestSetStringKeepsBOM(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src := "\xEF\xBB\xBF[project]\nname = \"bom\"\n"
	os.WriteFile(filepath.Join(dir, FileName), []byte(src), 0o644)
	if err := CheckSetString(dir, "deploy.heroku", "app", "bom-1"); err != nil {
		t.Fatal(err)
	}
	if err := SetString(dir, "deploy.heroku", "app", "bom-1"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !strings.HasPrefix(string(data), "\xEF\xBB\xBF[project]") {
		t.Fatalf("BOM lost: %q", data)
	}
	f, err := Load(dir)
	if err != nil || f.Deploy.Heroku.App != "bom-1" {
		t.Fatalf("%v %+v", err, f)
	}
}
