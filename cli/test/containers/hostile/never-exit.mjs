// Never exits.
console.log("waiting forever");
setInterval(() => {}, 1000);
