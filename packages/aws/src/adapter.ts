// Plumbing for skewguard's own AWS adapters (`@skewguard/aws-s3` builds its plugin and its
// presigners from it). Not part of the documented API: names here may change in any minor
// release.
export { skewRecoveryPlugin, recoveryFor } from "./plugin.js";
export { requestEndpoint } from "./middleware.js";
export type { EndpointOf } from "./middleware.js";
