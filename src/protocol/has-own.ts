// Object.hasOwn for code that goes into the TurboWarp extension: the gallery's lint (no-new-syntax)
// refuses Object.hasOwn in the bundle as too new for some of its users' browsers.
export const hasOwn = (object: object, key: PropertyKey): boolean =>
  // biome-ignore lint/suspicious/noPrototypeBuiltins: Object.hasOwn is what this avoids (see above)
  Object.prototype.hasOwnProperty.call(object, key);
