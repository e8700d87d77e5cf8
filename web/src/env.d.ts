// esbuild bundles CSS imported from TypeScript; the type checker only needs to know they exist.
declare module '*.css';
