/* OCR Mesh — text boxes as SVG polygons, in the image's own pixel coordinates. */

const SVG_NS = "http://www.w3.org/2000/svg";

/** "x,y x,y …" of a box [[x, y], …]; "" when it is not one. */
export function pointsOf(box) {
  if (!Array.isArray(box)) return "";
  return box
    .filter((p) => Array.isArray(p) && p.length >= 2)
    .map((p) => Number(p[0]) + "," + Number(p[1]))
    .join(" ");
}

/** A polygon with a class, an optional data-index (its line) and an optional tooltip. */
export function polygon(points, className, index, title) {
  const poly = document.createElementNS(SVG_NS, "polygon");
  poly.setAttribute("points", points);
  poly.setAttribute("class", className);
  if (index !== undefined) poly.setAttribute("data-index", String(index));
  if (title !== undefined) {
    const tip = document.createElementNS(SVG_NS, "title");
    tip.textContent = title;
    poly.appendChild(tip);
  }
  return poly;
}

/** An empty SVG drawing sized to an image of w × h pixels. */
export function drawing(w, h, className) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 " + w + " " + h);
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  return svg;
}
