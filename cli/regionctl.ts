console.log('regionctl placeholder', process.version, process.argv.slice(2));
