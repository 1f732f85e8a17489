// Preloaded (node --import) where a test checks that a command line path loads no native addon:
// libtorch's addon (and any other .node file) fails to load, naming the file.
process.dlopen = (_module, file) => {
  throw new Error(`native addon loaded: ${file}`);
};
