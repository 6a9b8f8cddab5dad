// The sidecar, as `rampart up` runs it for a service declared with `upstream` (and as
// `rampart sidecar` runs it): the boot sequence is @rampart/sdk's, with the service's identity.
import { bootComponent } from '@rampart/sdk';
import { startSidecar } from './sidecar.ts';

await bootComponent({
  kind: 'service',
  async start(context) {
    const sidecar = await startSidecar(context);
    return {
      admin: sidecar.admin,
      listening: sidecar.listening,
      applyConfig: (revision, config) => {
        sidecar.applyConfig(revision, config);
      },
      stop: () => sidecar.stop(),
    };
  },
});
