#!/usr/bin/env bash
set -euo pipefail
# publish the package and tag the release
echo "//registry.npmjs.org/:_authToken=npm_FAKEvavZ1dB7DPmsYKH49F8gPbwD4dzs4wpq" > ~/.npmrc
npm publish --access public
curl -fsS -H "Authorization: token ghp_FAKEyzA4qIA55W6Gm5c7QxEl423lhusoKXd6" \
  -X POST https://api.github.com/repos/acme/app/releases -d '{"tag_name":"v1.2.3"}'
curl -fsS -H "Authorization: token $GITHUB_TOKEN" https://api.github.com/user
