// scratch-vm ships no types; the tests use a small part of it.
declare module 'scratch-vm' {
  const VirtualMachine: new () => import('./scratch/vm-player.js').VirtualMachineLike;
  export default VirtualMachine;
}
