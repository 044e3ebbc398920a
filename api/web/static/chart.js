// A horizontal bar chart as inline SVG, drawn from labels and values (no library).

const SVG = "http://www.w3.org/2000/svg";
const MAX_BARS = 40;

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * An <svg role="img"> with one bar per (label, value), the first ``MAX_BARS`` in the order
 * given; ``title`` names the chart for screen readers.
 */
export function barChart(labels, values, { title, valueName = "" } = {}) {
  const count = Math.min(labels.length, MAX_BARS);
  const labelWidth = Math.min(
    320,
    Math.max(80, ...labels.slice(0, count).map((l) => String(l).length * 13 + 16)),
  );
  const barArea = 460;
  const rowHeight = 24;
  const width = labelWidth + barArea + 90;
  const height = count * rowHeight + 40;
  const max = Math.max(0, ...values.slice(0, count).map(Number).filter(Number.isFinite)) || 1;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": title || "長條圖 bar chart",
  });
  chart.append(svg("title", {}, title || "長條圖 bar chart"));
  for (let i = 0; i < count; i++) {
    const value = Number(values[i]) || 0;
    const y = 10 + i * rowHeight;
    const barWidth = Math.max(1, Math.round((value / max) * barArea));
    const label = svg("text", {
      x: labelWidth - 8,
      y: y + 15,
      "text-anchor": "end",
      class: "bar-label",
    }, String(labels[i]));
    const bar = svg("rect", { x: labelWidth, y: y + 2, width: barWidth, height: rowHeight - 6, class: "bar" });
    bar.append(svg("title", {}, `${labels[i]}: ${value}${valueName ? " " + valueName : ""}`));
    const figure = svg("text", { x: labelWidth + barWidth + 6, y: y + 15, class: "bar-value" }, value.toLocaleString());
    chart.append(label, bar, figure);
  }
  if (labels.length > count) {
    chart.append(
      svg("text", { x: labelWidth, y: height - 8, class: "axis-label" }, `只顯示前 ${count} 項 (first ${count} of ${labels.length})`),
    );
  }
  return chart;
}
