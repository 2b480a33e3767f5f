/**
 * Realistic deployment mutations: what operators get wrong (or SPIRE could regress), each a change
 * of one manifest line or deployer, never of a spec, and the folder whose specs must catch it.
 * `npm run mutate` applies each on a clean worktree and runs that folder (scripts/mutate.ts).
 */
export interface Mutation {
  id: string;
  what: string;
  /** Repository-relative file, the text to find (exactly once) and its replacement. */
  file: string;
  find: string;
  replace: string;
  /** The spec folder or file that must fail with it. */
  caughtBy: string;
  /** A mutation the suite must *not* fail on (a legitimate layout it accepts): survives is the pass. */
  legitimate?: boolean;
}

export const mutations: Mutation[] = [
  {
    id: 'keys-in-memory',
    what: 'nestedC-server keeps its CA and JWT keys in memory (KeyManager "memory")',
    file: 'manifests/federated/nestedc-server.yaml',
    find: 'KeyManager "disk" {\n        plugin_data { keys_path = "/run/spire/data/keys.json" }\n      }',
    replace: 'KeyManager "memory" {\n        plugin_data {}\n      }',
    caughtBy: 'specs/production',
  },
  {
    id: 'datastore-off-volume',
    what: 'federated-server\'s sqlite datastore on the container\'s filesystem',
    file: 'manifests/federated/federated-server.yaml',
    find: 'connection_string = "/run/spire/data/datastore.sqlite3"',
    replace: 'connection_string = "/tmp/datastore.sqlite3"',
    caughtBy: 'specs/production',
  },
  {
    id: 'allow-list-too-wide',
    what: 'nestedB-server admits nestedA-agent\'s service account too',
    file: 'manifests/nested/nestedb-server.yaml',
    find: 'service_account_allow_list = ["spire:nestedb-agent"]',
    replace: 'service_account_allow_list = ["spire:nestedb-agent", "spire:nesteda-agent"]',
    caughtBy: 'specs/production',
  },
  {
    id: 'svid-ttl-over-ca',
    what: 'federated-server issues X.509-SVIDs for 8 h under a 24 h CA',
    file: 'manifests/federated/federated-server.yaml',
    find: 'default_x509_svid_ttl = "1h"',
    replace: 'default_x509_svid_ttl = "8h"',
    caughtBy: 'specs/production',
  },
  {
    id: 'issuer-differs',
    what: 'nestedB-server sets another jwt_issuer than its trust domain\'s OIDC provider',
    file: 'manifests/nested/nestedb-server.yaml',
    find: 'jwt_issuer = "http://oidc-discovery-provider.spire.svc"',
    replace: 'jwt_issuer = "https://nestedb.example.org"',
    caughtBy: 'specs/production',
  },
  {
    id: 'nestedc-issuer-differs',
    what: 'nestedC-server sets another jwt_issuer: a relying party configured from the discovery document refuses its tokens',
    file: 'manifests/federated/nestedc-server.yaml',
    find: 'jwt_issuer = "http://oidc-discovery-provider.spire.svc"',
    replace: 'jwt_issuer = "https://nestedc.example.org"',
    caughtBy: 'specs/oidc/relying-party-in-cluster.spec.ts',
  },
  {
    id: 'oidc-advertises-https',
    what: 'the OIDC provider, served over plain HTTP, stops allowing the insecure scheme: its discovery document names https:// while every token says http://',
    file: 'manifests/oidc/oidc-discovery-provider.yaml',
    find: '    allow_insecure_scheme = true\n',
    replace: '',
    caughtBy: 'specs/oidc/discovery-document.spec.ts',
  },
  {
    id: 'agents-sync-at-default',
    what: 'nestedB-agent configured to sync every 5 s (SPIRE\'s default): the bounds follow the configuration, so the spec must still pass (its bound grows from 8.1 to 12.5 s)',
    file: 'manifests/nested/nestedb-agent.yaml',
    find: 'sync_interval = "1s"',
    replace: 'sync_interval = "5s"',
    caughtBy: 'specs/nested/jwt-rotation-converges.spec.ts',
    legitimate: true,
  },
  {
    id: 'entries-by-namespace-only',
    what: 'the deployer registers workloads by namespace alone (k8s:ns), not namespace and service account',
    file: 'fixtures/modules/nested.ts',
    find: 'saSelectors: (sa: string) => [`k8s:ns:${ns}`, `k8s:sa:${sa}`],',
    replace: 'saSelectors: (_sa: string) => [`k8s:ns:${ns}`],',
    caughtBy: 'specs/production/registration-scoped.spec.ts',
  },
  {
    id: 'registrar-every-namespace',
    what: 'the ClusterSPIFFEID loses its namespaceSelector: labelled pods of every namespace are registered',
    file: 'manifests/federated/registrar-clusterspiffeid.yaml',
    find: '  namespaceSelector:\n    matchLabels: {spire-conformance/instance: spire}\n',
    replace: '',
    caughtBy: 'specs/production/registration-scoped.spec.ts',
  },
];
