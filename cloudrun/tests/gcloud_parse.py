"""Parses vbuf's release files with the Google Cloud CLI's own parsers, offline (no credentials, no API call).

  python3 gcloud_parse.py deploy FILE   Cloud Deploy YAML (DeliveryPipeline, Target, Automation), as
                                        `gcloud deploy apply` reads it
  python3 gcloud_parse.py build FILE    Cloud Build config, as `gcloud builds submit --config` reads it

Run it with the CLI's bundled Python and its lib/ directory on PYTHONPATH, with any core/project set (the parsers
put it in resource names). Prints the parsed resources as JSON; on an error in the file, prints the parser's message
and exits 1. ReleaseFilesTest runs it.
"""
import json
import sys

from apitools.base.py import encoding
from googlecloudsdk.api_lib.cloudbuild import cloudbuild_util
from googlecloudsdk.api_lib.cloudbuild import config as build_config
from googlecloudsdk.api_lib.util import apis
from googlecloudsdk.command_lib.deploy import manifest_util
from googlecloudsdk.core import yaml


def lost_keys(given, parsed, path):
    """Keys of the file that the parsed message does not have: a parser that copies fields by hand (Automation
    rules) skips a misspelled one silently instead of refusing it."""
    lost = []
    if isinstance(given, dict):
        for key, value in given.items():
            if not isinstance(parsed, dict) or key not in parsed:
                lost.append(path + "." + key)
            else:
                lost += lost_keys(value, parsed[key], path + "." + key)
    elif isinstance(given, list):
        for i, value in enumerate(given):
            if isinstance(parsed, list) and i < len(parsed):
                lost += lost_keys(value, parsed[i], "%s[%d]" % (path, i))
    return lost


def parse_deploy(path):
    messages = apis.GetMessagesModule("clouddeploy", "v1")
    manifests = list(yaml.load_all_path(path))
    parsed = manifest_util.ParseDeployConfig(messages, manifests, "offline-region")
    result = {kind: [encoding.MessageToDict(r) for r in resources] for kind, resources in parsed.items() if resources}
    for manifest in manifests:
        kind, name = manifest["kind"], manifest["metadata"]["name"]
        found = [r for r in result.get(kind, []) if r["name"].endswith("/" + name.split("/")[-1])]
        given = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind", "metadata")}
        given.update({k: v for k, v in manifest["metadata"].items() if k != "name"})
        lost = lost_keys(given, found[0] if found else {}, kind + " " + name)
        if lost:
            raise ValueError("fields the Cloud Deploy API does not have (misspelled?): " + ", ".join(lost))
    return result


def parse_build(path):
    messages = cloudbuild_util.GetMessagesModule()
    build = build_config.LoadCloudbuildConfigFromPath(path, messages)
    return encoding.MessageToDict(build)


def main():
    what, path = sys.argv[1], sys.argv[2]
    try:
        result = parse_deploy(path) if what == "deploy" else parse_build(path)
    except Exception as e:  # the parsers' own errors: print them for the test's failure message
        print("%s: %s" % (type(e).__name__, e))
        return 1
    print(json.dumps(result, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
