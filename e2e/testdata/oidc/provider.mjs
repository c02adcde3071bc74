// A real OpenID provider for mcpctl's end-to-end tests: oidc-provider (OpenID Certified),
// configured as an identity provider for an MCP server would be. A confidential client
// gets JWT access tokens with the client credentials grant; the resource indicator
// (RFC 8707) it asks for becomes the token's audience. The signing key is made at start.
//
// Environment: PORT (required). Prints "listening <issuer>" once it serves.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-rsa', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'mcp-e2e',
    client_secret: 'mcp-e2e-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'mcp:tools other',
  }],
  scopes: ['mcp:tools', 'other'],
  jwks: { keys: [signingKey] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      getResourceServerInfo: (ctx, resource) => ({
        scope: 'mcp:tools other',
        audience: resource,
        accessTokenTTL: 300,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

const server = provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
